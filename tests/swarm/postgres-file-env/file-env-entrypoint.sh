#!/usr/bin/env bash
# The official image's file_env for POSTGRES_PASSWORD: both set is an error, the
# file's content otherwise replaces the variable, and the _FILE name is dropped.
set -euo pipefail
if [[ -n "${POSTGRES_PASSWORD_FILE:-}" ]]; then
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then
    echo 'error: both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set' >&2
    exit 1
  fi
  POSTGRES_PASSWORD="$(<"${POSTGRES_PASSWORD_FILE}")"
  export POSTGRES_PASSWORD
  unset POSTGRES_PASSWORD_FILE
fi
exec docker-entrypoint.sh "$@"
