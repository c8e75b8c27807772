#!/usr/bin/env bash
# Container entrypoint for every process the image runs (web, worker, beat, one-off
# manage.py commands):
#   1. checks the settings (Django's system checks name the variables and exit
#      non-zero), then waits, for at most DB_WAIT_TIMEOUT seconds, until
#      PostgreSQL accepts connections, and exits non-zero with a clear message
#      when it never does (DB_WAIT_TIMEOUT=0 skips the wait, not the checks);
#   2. for the web server only (the command is gunicorn): applies migrations
#      (MIGRATE_ON_START=false leaves them to a release job) and collects static
#      files. `manage.py migrate_locked` holds a PostgreSQL advisory lock, so replicas
#      that start together apply each migration once, one after the other;
#   3. empties the directory of prometheus-client's multiprocess mode, which the
#      processes of the command (gunicorn's workers, Celery's children) write their
#      metrics to, so a restarted container counts from zero;
#   4. execs the command, so it replaces this shell and receives SIGTERM itself.
set -euo pipefail

# One line on stderr: a JSON record with the application's keys when LOG_FORMAT is
# json (the containers' default), else readable text.
log() {
  local now message="$*"
  now="$(date -u +%Y-%m-%dT%H:%M:%S%z)"
  if [[ "${LOG_FORMAT:-json}" == json ]]; then
    message="${message//\\/\\\\}"
    message="${message//\"/\\\"}"
    printf '{"timestamp": "%s", "level": "INFO", "logger": "entrypoint", "message": "%s", "request_id": "-"}\n' \
      "${now}" "${message}" >&2
  else
    printf '%s entrypoint: %s\n' "${now}" "${message}" >&2
  fi
}

is_web_server() {
  [[ "$(basename -- "${1:-}")" == gunicorn ]]
}

# wait_for_db, like every manage.py command, runs Django's system checks first, so
# inconsistent settings (apps/*/checks.py) stop the container here, named.
wait_for_database() {
  local timeout="${DB_WAIT_TIMEOUT:-60}"
  if [[ "${timeout}" == 0 ]]; then
    python manage.py check --fail-level ERROR
    return
  fi
  python manage.py wait_for_db --timeout "${timeout}"
}

prepare_web_server() {
  if [[ "${MIGRATE_ON_START:-true}" == true ]]; then
    log "applying migrations"
    python manage.py migrate_locked --noinput
  else
    log "MIGRATE_ON_START=${MIGRATE_ON_START}: not applying migrations"
  fi
  log "collecting static files"
  python manage.py collectstatic --noinput --verbosity 0
}

# A fixed path of the image: /tmp is a tmpfs in every container. Set only now, so
# the checks and migrations above count nothing of the command's.
prepare_metrics_directory() {
  local directory=/tmp/prometheus-metrics
  rm -rf "${directory}"
  mkdir -p "${directory}"
  export PROMETHEUS_MULTIPROC_DIR="${directory}"
}

main() {
  if [[ $# -eq 0 ]]; then
    log "no command given"
    exit 64
  fi
  wait_for_database
  if is_web_server "$1"; then
    prepare_web_server
    log "starting gunicorn"
  fi
  prepare_metrics_directory
  exec "$@"
}

main "$@"
