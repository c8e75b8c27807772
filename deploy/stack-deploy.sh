#!/usr/bin/env bash
# Deploys the Swarm stack (deploy/stack-config.sh's output) to the engine the docker
# CLI points at, a manager, in the order a schema change needs:
#   1. db and redis, and wait until both run (healthy);
#   2. the new image's `migrate` job, on its own, and wait until it completed:
#      the old web and worker tasks still serve meanwhile;
#   3. every other service: web, worker, beat and Nginx roll out (stack.yml).
# A `docker stack deploy` of the whole file at once would start `migrate` beside
# the rollout, so new code could serve before its migrations were applied.
#
# Usage: deploy/stack-deploy.sh STACK [docker stack deploy options...]
#   the options go to every `docker stack deploy`, e.g. --with-registry-auth, or
#   --detach=false to wait for step 3's rollout; the variables are
#   deploy/stack-config.sh's (APP_IMAGE, IMAGE_TAG, ...).
#   STACK_WAIT_SECONDS  how long steps 1 and 2 may take each; default 300
set -euo pipefail
cd "$(dirname "$0")/.."

stack="${1:?usage: deploy/stack-deploy.sh STACK [docker stack deploy options...]}"
shift
wait_seconds="${STACK_WAIT_SECONDS:-300}"
rendered="$(mktemp -d)"
trap 'rm -rf -- "${rendered}"' EXIT

# Renders the services named and deploys them; services not named are left as
# they are (no --prune).
deploy() {
  local file="${rendered}/stack-$#.yml"
  STACK_NAME="${stack}" deploy/stack-config.sh "$@" >"${file}"
  docker stack deploy --detach=true "${options[@]}" -c "${file}" "${stack}" >&2
}

# Waits until service $1's replicas read $2 ("1/1"), at most wait_seconds.
wait_replicas() {
  local deadline=$((SECONDS + wait_seconds)) replicas
  until replicas="$(docker service ls --filter "name=${stack}_$1" \
    --format '{{.Name}} {{.Replicas}}' | awk -v n="${stack}_$1" '$1 == n {print $2}')" \
    && [[ "${replicas}" == "$2" ]]; do
    ((SECONDS < deadline)) || {
      echo "stack-deploy: ${stack}_$1 is ${replicas:-absent}, not $2, after ${wait_seconds} s" >&2
      return 1
    }
    sleep 2
  done
}

# Runs the migrate job afresh and waits for it. A job whose spec did not change
# would not run again, so the old one is removed first; migrate_locked with
# nothing to apply is a no-op.
migrate() {
  local deadline=$((SECONDS + wait_seconds)) state
  docker service rm "${stack}_migrate" >/dev/null 2>&1 || true
  deploy migrate
  while :; do
    state="$(docker service ps --format "{{.CurrentState}}" "${stack}_migrate" | awk "NR == 1")"
    case "${state}" in
      Complete*) return 0 ;;
      Failed* | Rejected* | Shutdown*) ;;
      *) if ((SECONDS < deadline)); then sleep 2 && continue; fi ;;
    esac
    echo "stack-deploy: migrate is '${state}'; the rollout did not start" >&2
    docker service ps --no-trunc "${stack}_migrate" >&2 || true
    timeout 20 docker service logs --raw "${stack}_migrate" >&2 || true
    return 1
  done
}

options=("$@")
echo "stack-deploy: ${stack}: db and redis" >&2
deploy db redis
wait_replicas db 1/1
wait_replicas redis 1/1
echo "stack-deploy: ${stack}: migrate" >&2
migrate
echo "stack-deploy: ${stack}: the rollout" >&2
# Every service but migrate: Swarm runs a job again on any update of its service,
# an unchanged one too, and here that would be beside the rollout.
mapfile -t services < <(deploy/stack-config.sh --services | grep -vx migrate)
deploy "${services[@]}"
