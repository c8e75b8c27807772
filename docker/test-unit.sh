#!/usr/bin/env bash
# Runs the unit and integration tests inside the test image against PostgreSQL and
# Redis, under a compose project of this checkout's own. The test database is kept
# between runs (pytest-django's --reuse-db; the containers go, the volume stays), so
# a run where nothing changed neither creates it nor migrates. When a migration,
# a settings module or a requirements lock changed since the last run, the run
# recreates it (--create-db). TEST_UNIT_FRESH=1 starts from an empty volume.
# Arguments replace the test service's command, e.g.:
#   docker/test-unit.sh pytest apps/accounts -x
set -euo pipefail
cd "$(dirname "$0")/.."

state=.cache/test-unit
mkdir -p "${state}"
project="${TEST_UNIT_PROJECT:-drf-unit-$(pwd | sha256sum | cut -c1-10)}"
# The test image under a tag of this checkout's own (drf-reference-app-test:<tag>):
# another checkout's build in between can never replace the one this run built.
export IMAGE_TAG="${IMAGE_TAG:-${project}}"

random_secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}

# What the test database is made from: its schema and the code that migrates it.
fingerprint() {
  find apps -path '*/migrations/*.py' -print0 \
    | sort -z | xargs -0 cat config/settings/*.py requirements/*.txt | sha256sum
}

# Throwaway values: the compose file requires them, the tests never keep them. The
# database's password lives as long as its volume (PostgreSQL sets it on the first
# start only); nothing publishes that database's port.
SECRET_KEY="$(random_secret)"
JWT_SIGNING_KEY="$(random_secret)"
export SECRET_KEY JWT_SIGNING_KEY
compose=(docker compose --project-name "${project}" --env-file /dev/null
  --file docker-compose.yml --file docker-compose.test.yml)

if [[ "${TEST_UNIT_FRESH:-}" == 1 || ! -s "${state}/postgres-password" ]]; then
  POSTGRES_PASSWORD=unused "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
  rm -f "${state}/fingerprint"
  (umask 077 && random_secret >"${state}/postgres-password")
fi
POSTGRES_PASSWORD="$(<"${state}/postgres-password")"
export POSTGRES_PASSWORD

current="$(fingerprint)"
# shellcheck disable=SC2329 # run by the EXIT trap below (0.11 misses it here)
cleanup() {
  "${compose[@]}" down --remove-orphans --timeout 10 >/dev/null 2>&1 || true
}
trap cleanup EXIT

addopts=()
if [[ "$(cat "${state}/fingerprint" 2>/dev/null)" != "${current}" ]]; then
  addopts=(--env PYTEST_ADDOPTS=--create-db)
fi

"${compose[@]}" build test
status=0
"${compose[@]}" run --rm "${addopts[@]}" test "$@" || status=$?
# pytest exits 0 (passed) or 1 (tests failed) once the database is made.
if ((status <= 1)); then
  printf '%s\n' "${current}" >"${state}/fingerprint"
fi
exit "${status}"
