#!/usr/bin/env bash
# Runs the unit and integration tests inside the test image against a throwaway
# PostgreSQL and Redis, under a compose project of its own, and removes it all
# (containers, network, volumes) afterwards, whether the tests pass or not.
# Arguments replace the test service's command, e.g.:
#   docker/test-unit.sh pytest apps/accounts -x
set -euo pipefail
cd "$(dirname "$0")/.."

random_secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}

# Throwaway values: the compose file requires them, the tests never keep them.
SECRET_KEY="$(random_secret)"
JWT_SIGNING_KEY="$(random_secret)"
POSTGRES_PASSWORD="$(random_secret)"
export SECRET_KEY JWT_SIGNING_KEY POSTGRES_PASSWORD

project="drf-unit-$$"
compose=(docker compose --project-name "${project}" --env-file /dev/null
  --file docker-compose.yml --file docker-compose.test.yml)

cleanup() {
  "${compose[@]}" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true
}
trap cleanup EXIT

"${compose[@]}" build test
"${compose[@]}" run --rm test "$@"
