#!/usr/bin/env bash
# Runs hadolint on every Dockerfile in the project (Dockerfile, nginx/Dockerfile,
# docker/*/Dockerfile, *.Dockerfile), so a new image is linted without editing CI.
# Usage: scripts/lint-dockerfiles.sh [extra hadolint options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dockerfiles=()
while IFS= read -r -d '' file; do
  dockerfiles+=("$file")
done < <(
  find . \( -name .git -o -name node_modules -o -name .venv -o -name .gitlab-ci-local \
    -o -name .cache \) -prune -o -type f \( -name Dockerfile -o -name '*.Dockerfile' \
    -o -name 'Dockerfile.*' \) -print0 | sort -z
)

if ((${#dockerfiles[@]} == 0)); then
  echo "lint-dockerfiles: no Dockerfile found" >&2
  exit 1
fi
printf 'hadolint %s\n' "${dockerfiles[@]}"
hadolint "$@" "${dockerfiles[@]}"
