#!/usr/bin/env bash
# deploy/stack.yml on a Swarm of SWARM_NODES (default 3) Docker engines of its own
# (tests/swarm/lib.sh): every service at its replica count, web spread over the
# nodes, the account flow through Nginx, a token issued once accepted through
# every node's Nginx, image uploads whose thumbnails workers make across nodes;
# then, under steady load with writes, a rolling update of web to a new image tag
# and an update to a broken image that Swarm rolls back by itself, both with zero
# failed requests; a node drained under read load, its tasks moved and zero
# failed reads; no secret value in `docker service inspect`. Prints one line of
# figures. Tears everything down, also on failure.
# Run as root, under the Docker lock: flock /tmp/drf-docker.lock tests/swarm/stack-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/swarm/lib.sh
source tests/swarm/lib.sh

nodes="${SWARM_NODES:-3}"
web=$((nodes < 2 ? 2 : nodes)) worker=$((nodes < 2 ? 1 : 2))
stop="${SWARM_ROOT}/stop-load"

swarm_teardown
trap swarm_teardown EXIT
trap "exit 1" INT TERM
fail() {
  swarm_report_failure || true
  echo "swarm stack test: FAILED, $*" >&2
  exit 1
}

swarm_build_images
swarm_bridge_up
started=$(date +%s)
for n in $(seq "${nodes}"); do swarm_node_up "${n}"; done
pw="$(swarm_init "${nodes}")"
ready=$(($(date +%s) - started))
swarm_deploy "${web}" "${worker}" "${nodes}"

want="drf_beat 1/1 drf_db 1/1 drf_nginx ${nodes}/${nodes} drf_redis 1/1"
want+=" drf_web ${web}/${web} drf_worker ${worker}/${worker}"
swarm_wait_replicas "${want}" 150 || fail "services are $(swarm_replicas), not ${want}"
converged=$(($(date +%s) - started - ready))
spread="$(sd 1 service ps drf_web --filter desired-state=running --format '{{.Node}}' \
  | sort -u | wc -l)"
[[ "${spread}" == "${nodes}" ]] || fail "web runs on ${spread} of ${nodes} nodes"

# The account flow through node 1's Nginx: PostgreSQL, the secrets, the JWT key.
api() { curl -s --max-time 10 -H 'Host: localhost' -H 'Content-Type: application/json' "$@"; }
creds='{"email": "swarm@example.com", "password": "correct-horse-battery"}'
code="$(api -o /dev/null -w '%{http_code}' -X POST \
  "http://$(swarm_addr 1):8080/api/v1/auth/register/" -d "${creds}")"
[[ "${code}" == 201 ]] || fail "register gave ${code}"
# A fresh access token in ${access}: one lives five minutes, less than this test.
sign_in() {
  access="$(api -X POST "http://$(swarm_addr 1):8080/api/v1/auth/token/" -d "${creds}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')" \
    || fail "no access token"
}
sign_in
# The token through every node's Nginx, several times each, so that every web
# replica (each Nginx resolves web by DNS round robin) checks it.
for n in $(seq "${nodes}"); do
  for _ in $(seq $((2 * web))); do
    code="$(api -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${access}" \
      "http://$(swarm_addr "${n}"):8080/api/v1/users/me/")"
    [[ "${code}" == 200 ]] || fail "/users/me/ through node ${n} gave ${code}"
  done
done

# Steady load through node $1's Nginx (further arguments to tests/swarm/load.py)
# until load_stop, which sets ${result} and fails the test on any failed request.
load_start() {
  local n="$1"
  shift
  sign_in
  rm -f "${stop}"
  python3 tests/swarm/load.py --url "http://$(swarm_addr "${n}"):8080" \
    --token "${access}" --stop "${stop}" --max-seconds 600 "$@" \
    >"${SWARM_ROOT}/load.json" &
  load=$!
  sleep 5
}
load_stop() {
  local failed
  sleep 5
  touch "${stop}"
  wait "${load}" || fail "the load generator failed"
  result="$(cat "${SWARM_ROOT}/load.json")"
  failed="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["failed"])' "${result}")"
  [[ "${failed}" == 0 ]] || fail "requests failed during $1: ${result}"
}

# Updates web to image $1 under load with writes through the last node's Nginx;
# passes when the update ends in state $2 with no request failed and web running
# image $3. Sets ${result} and ${seconds}.
update_under_load() {
  local image="$1" want_state="$2" want_image="$3" state="" began images
  load_start "${nodes}"
  began=$(date +%s)
  sd 1 service update --detach=true --no-resolve-image --image "${image}" drf_web >/dev/null
  for _ in $(seq 240); do
    state="$(sd 1 service inspect drf_web \
      --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}')"
    [[ "${state}" =~ ^(completed|paused|rollback_completed|rollback_paused)$ ]] && break
    sleep 2
  done
  seconds=$(($(date +%s) - began))
  load_stop "the update to ${image}"
  [[ "${state}" == "${want_state}" ]] \
    || fail "updating to ${image} ended ${state:-unfinished}, not ${want_state}; load: ${result}"
  images="$(sd 1 service ps drf_web --filter desired-state=running --format '{{.Image}}' \
    | sort -u)"
  [[ "${images}" == "${want_image}" ]] || fail "web runs ${images}, not ${want_image}"
}

# Posts with an image through node 1's Nginx: each thumbnail made by a worker, and
# at least one by a worker on another node than the web replica that took the
# upload (matched by the upload's request id in the services' logs).
for _ in $(seq 30); do
  [[ "$(api -o /dev/null -w '%{http_code}' "http://$(swarm_addr 1):8080/readyz")" == 200 ]] \
    && break
  sleep 2
done
uploads=6 cross=0 ids=()
for i in $(seq "${uploads}"); do
  id="$(curl -s --max-time 20 -H 'Host: localhost' -H "Authorization: Bearer ${access}" \
    -H "X-Request-ID: swarm-upload-${i}" -F title="upload ${i}" -F image=@docs/example.png \
    "http://$(swarm_addr 1):8080/api/v1/posts/" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')" \
    || fail "upload ${i} was refused"
  ids+=("${id}")
done
for id in "${ids[@]}"; do
  status=""
  for _ in $(seq 60); do
    status="$(api -H "Authorization: Bearer ${access}" \
      "http://$(swarm_addr 1):8080/api/v1/posts/${id}/" \
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["image_status"])')" \
      || status="unreadable"
    [[ "${status}" == ready ]] && break
    sleep 1
  done
  [[ "${status}" == ready ]] || fail "post ${id}'s thumbnail is ${status}"
done
node_of() {  # the node of the first line of service $1's logs holding $2 and $3
  sd 1 service logs "$1" 2>&1 | grep -F "$2" | grep -F "$3" | head -1 \
    | sed -E 's/^[^@]*@([^ ]+) .*/\1/'
}
for i in $(seq "${uploads}"); do
  took="$(node_of drf_web "\"swarm-upload-${i}\"" /api/v1/posts/)"
  made="$(node_of drf_worker "\"swarm-upload-${i}\"" "is ready")"
  [[ -n "${took}" && -n "${made}" ]] || fail "upload ${i}: web node '${took}', worker node '${made}'"
  [[ "${took}" != "${made}" ]] && cross=$((cross + 1))
done
((nodes == 1 || cross > 0)) || fail "every thumbnail was made on its upload's node"

# A release: a new tag of the image on every node, rolled out start-first and
# health-gated (deploy/stack.yml), so no request fails.
# A broken release: the same image, but its server never starts, so its
# healthcheck fails; Swarm must roll back by itself while the old tasks serve.
for n in $(seq "${nodes}"); do
  sd "${n}" tag "drf-reference-app:${SWARM_TAG}" drf-reference-app:swarm-next
  printf 'FROM drf-reference-app:%s\nENTRYPOINT ["sh", "-c", "sleep infinity", "--"]\n' \
    "${SWARM_TAG}" | sd "${n}" build -q -t drf-reference-app:swarm-broken - >/dev/null
done
update_under_load drf-reference-app:swarm-next completed drf-reference-app:swarm-next
rolled="rolling update of ${web} web replicas in ${seconds} s under load: ${result}"
update_under_load drf-reference-app:swarm-broken rollback_completed \
  drf-reference-app:swarm-next
rolled_back="broken image rolled back by itself in ${seconds} s under load: ${result}"

# Drain the last node that runs both web and worker tasks (never node 1, which
# holds db and redis) under read load through node 1's Nginx: its tasks move to
# the other nodes and no read fails. A drain stops its tasks gracefully (SIGTERM:
# gunicorn finishes its requests, Celery its tasks).
drained=""
if ((nodes > 1)); then
  tasks() { sd 1 service ps "$1" --filter desired-state=running --format '{{.Node}}'; }
  drained="$(comm -12 <(tasks drf_web | sort -u) <(tasks drf_worker | sort -u) \
    | grep -v '^drfsw1$' | tail -1 || true)"
  drained="${drained:-drfsw${nodes}}"
  load_start 1 --reads-only
  began=$(date +%s)
  sd 1 node update --availability drain "${drained}" >/dev/null
  want_after="drf_beat 1/1 drf_db 1/1 drf_nginx $((nodes - 1))/${nodes} drf_redis 1/1"
  want_after+=" drf_web ${web}/${web} drf_worker ${worker}/${worker}"
  # Moved: as many tasks running as desired, none on the drained node, whose
  # engine runs no container any more.
  moved() {
    [[ "$(sd 1 service ps "$1" --filter desired-state=running \
      --format '{{.Node}} {{.CurrentState}}' | grep -v "^${drained} " \
      | grep -c ' Running ')" == "$2" ]]
  }
  left="?"
  for _ in $(seq 90); do
    left="$(sd "${drained#drfsw}" ps -q | wc -l)"
    [[ "${left}" == 0 ]] && moved drf_web "${web}" && moved drf_worker "${worker}" && break
    sleep 2
  done
  seconds=$(($(date +%s) - began))
  load_stop "the drain of ${drained}"
  [[ "${left}" == 0 ]] || fail "${left} containers still run on the drained ${drained}"
  if ! { moved drf_web "${web}" && moved drf_worker "${worker}"; }; then
    fail "web and worker did not move off ${drained}"
  fi
  [[ "$(swarm_replicas)" == "${want_after}" ]] \
    || fail "after the drain services are $(swarm_replicas), not ${want_after}"
  drained="; ${drained} drained in ${seconds} s (its web and worker tasks moved) under read load: ${result}"
fi

leaked="$(sd 1 service inspect drf_web drf_worker drf_beat drf_db drf_migrate \
  | grep -c -F "${pw}" || true)"
[[ "${leaked}" == 0 ]] || fail "the database password is in service inspect ${leaked} times"
echo "[swarm] ${nodes} nodes up in ${ready} s; stack converged in ${converged} s," \
  "web on ${spread} nodes; account flow 201/200, token accepted through ${nodes} Nginx;" \
  "${uploads} thumbnails ready, ${cross} made on another node than the upload's;" \
  "${rolled}; ${rolled_back}${drained}"
