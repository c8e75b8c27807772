#!/usr/bin/env bash
# deploy/stack.yml on a Swarm of SWARM_NODES (default 3) Docker engines of its own
# (tests/swarm/lib.sh), deployed by deploy/stack-deploy.sh: every service at its
# replica count, the migrate job completed before web existed, web spread over the
# nodes, the account flow through Nginx, a token issued by a replica on one node
# accepted by replicas on every node, image uploads whose thumbnails workers make
# across nodes; then, under steady load with writes, a rolling update of web to a
# new image tag and an update to a broken image that Swarm rolls back by itself,
# both with zero failed requests; a node drained under read load with thumbnails
# in flight, its tasks moved, zero failed reads and every thumbnail made once; a
# worker node lost (every process killed) with thumbnails in flight, each then
# made exactly once; no secret value in `docker inspect` of any service or
# container. Prints a line of figures per phase (and writes them to
# SWARM_FIGURES, if set, as JSON). Tears everything down, also on failure.
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
# One phase's figures ($1 name, $2 seconds, $3 what happened, $4 the load
# generator's result if it ran under load): printed as a line, and kept for
# SWARM_FIGURES, the JSON file `python -m bench swarm` adds to the benchmark report.
figure() {
  echo "[swarm] $1: $3${4:+; load: $4}"
  python3 -c 'import json, sys
name, seconds, line, load = sys.argv[1:]
print(json.dumps({"name": name, "seconds": int(seconds), "line": line,
                  "load": json.loads(load) if load else None}))' \
    "$1" "$2" "$3" "${4:-}" >>"${SWARM_ROOT}/phases.jsonl"
}
fail() {
  swarm_report_failure || true
  echo "swarm stack test: FAILED, $*" >&2
  exit 1
}

began_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
swarm_build_images
swarm_bridge_up
started=$(date +%s)
for n in $(seq "${nodes}"); do swarm_node_up "${n}"; done
swarm_init "${nodes}" >/dev/null
ready=$(($(date +%s) - started))
figure nodes "${ready}" "${nodes} engines up in ${ready} s, each in its own namespace, in one Swarm"
swarm_deploy "${web}" "${worker}" "${nodes}"

want="drf_beat 1/1 drf_db 1/1 drf_nginx ${nodes}/${nodes} drf_redis 1/1"
want+=" drf_web ${web}/${web} drf_worker ${worker}/${worker}"
swarm_wait_replicas "${want}" 150 || fail "services are $(swarm_replicas), not ${want}"
converged=$(($(date +%s) - started - ready))
spread="$(sd 1 service ps drf_web --filter desired-state=running --format '{{.Node}}' \
  | sort -u | wc -l)"
[[ "${spread}" == "${nodes}" ]] || fail "web runs on ${spread} of ${nodes} nodes"
# Migrations strictly before the rollout: the migrate job had completed before the
# web service (created by the last step of deploy/stack-deploy.sh) existed.
migrated_at="$(sd 1 inspect --format '{{.Status.Timestamp}}' \
  "$(sd 1 service ps -q drf_migrate | head -1)")"
web_at="$(sd 1 service inspect --format '{{.CreatedAt}}' drf_web)"
[[ "$(sd 1 service ps --format '{{.CurrentState}}' drf_migrate)" == Complete* ]] \
  || fail "the migrate job did not complete"
# Docker prints "... +0000 UTC", which date(1) reads without the zone's name.
(($(date -d "${migrated_at% UTC}" +%s%N) < $(date -d "${web_at% UTC}" +%s%N))) \
  || fail "migrate completed at ${migrated_at}, after web was created at ${web_at}"
figure deploy "${converged}" "stack converged in ${converged} s: ${want}, web on ${spread} nodes"

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
# Which node runs each web replica, by the replica's addresses ("address node"
# lines): Nginx names the replica that answered by address in X-Upstream.
web_addresses() {
  local n c
  for n in $(seq "${nodes}"); do
    for c in $(sd "${n}" ps -q --filter label=com.docker.swarm.service.name=drf_web); do
      sd "${n}" inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' \
        "${c}" | tr ' ' '\n' | sed -n "s/^\(..*\)\$/\1 drfsw${n}/p"
    done
  done
}
node_of_upstream() {  # $1: an X-Upstream value; the last address tried answered
  local address="${1##*, }"
  awk -v address="${address%:*}" '$1 == address {print $2}' "${SWARM_ROOT}/web-addresses"
}
web_addresses >"${SWARM_ROOT}/web-addresses"
# A token issued by a replica on one node, then presented through every node's
# Nginx until replicas on every node have accepted it: no state is local.
access="$(api -D "${SWARM_ROOT}/token-headers" -X POST \
  "http://$(swarm_addr 1):8080/api/v1/auth/token/" -d "${creds}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')" \
  || fail "no access token"
upstream="$(sed -n 's/^x-upstream: *//Ip' "${SWARM_ROOT}/token-headers" | tr -d '\r')"
issuer="$(node_of_upstream "${upstream}")"
[[ -n "${issuer}" ]] || fail "the token's replica ${upstream} runs on no node"
declare -A accepted=()
for try in $(seq $((10 * nodes))); do
  n=$(((try - 1) % nodes + 1))
  read -r code upstream < <(api -o /dev/null -w '%{http_code} %header{x-upstream}\n' \
    -H "Authorization: Bearer ${access}" "http://$(swarm_addr "${n}"):8080/api/v1/users/me/")
  [[ "${code}" == 200 ]] || fail "/users/me/ through node ${n} gave ${code}"
  node="$(node_of_upstream "${upstream}")"
  [[ -n "${node}" ]] || fail "/users/me/ answered by ${upstream}, no web replica"
  accepted[${node}]=1
  ((${#accepted[@]} == nodes)) && break
done
((${#accepted[@]} == nodes)) \
  || fail "replicas on ${!accepted[*]} accepted the token, not on all ${nodes} nodes"
figure token 0 "account flow 201/200; a token issued by a replica on ${issuer} accepted by\
 replicas on ${nodes} nodes (${!accepted[*]}) through the ${nodes} Nginx, in ${try} requests"

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
image_status() {  # of post $1, read through node 1's Nginx
  api -H "Authorization: Bearer ${access}" "http://$(swarm_addr 1):8080/api/v1/posts/$1/" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["image_status"])' \
    || echo unreadable
}
for id in "${ids[@]}"; do
  status=""
  for _ in $(seq 60); do
    status="$(image_status "${id}")"
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
figure thumbnails 0 "${uploads} thumbnails ready, ${cross} made on another node than the upload's"

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
figure "rolling update" "${seconds}" \
  "${web} web replicas rolled to a new tag in ${seconds} s under load, 0 failed" "${result}"
update_under_load drf-reference-app:swarm-broken rollback_completed \
  drf-reference-app:swarm-next
figure rollback "${seconds}" \
  "broken image rolled back by itself in ${seconds} s under load, 0 failed" "${result}"

# Drain the last node that runs both web and worker tasks (never node 1, which
# holds db and redis) under read load through node 1's Nginx: its tasks move to
# the other nodes and no read fails. A drain stops its tasks gracefully (SIGTERM:
# gunicorn finishes its requests, Celery its tasks).
tasks() { sd 1 service ps "$1" --filter desired-state=running --format '{{.Node}}'; }
# Tasks of service $1 running on other nodes than $3: exactly $2 of them.
moved() {
  [[ "$(sd 1 service ps "$1" --filter desired-state=running \
    --format '{{.Node}} {{.CurrentState}}' | grep -v "^$3 " | grep -c ' Running ')" == "$2" ]]
}
# The logs of every worker container on the nodes but $1; of those on the lost
# node $1, read from its disk as its engine is gone.
live_worker_logs() {
  local n c
  for n in $(seq "${nodes}"); do
    [[ "drfsw${n}" == "$1" ]] && continue
    for c in $(sd "${n}" ps -a -q --filter label=com.docker.swarm.service.name=drf_worker); do
      sd "${n}" logs "${c}" 2>&1
    done
  done
}
drained_worker_logs() {  # of the worker containers on node $1, since time $2
  local c
  for c in $(sd "${1#drfsw}" ps -a -q --filter label=com.docker.swarm.service.name=drf_worker); do
    sd "${1#drfsw}" logs --since "$2" "${c}" 2>&1
  done
}
lost_worker_logs() {
  local config
  for config in "${SWARM_ROOT}/$1"/data/containers/*/config.v2.json; do
    grep -q '"com.docker.swarm.service.name":"drf_worker"' "${config}" \
      && cat "${config%/config.v2.json}"/*-json.log
  done
  return 0
}
task_ids() {  # of the thumbnail tasks logged as $1 (received, succeeded) in stdin
  grep -o "generate_thumbnail\[[0-9a-f-]*\] $1" | cut -d '[' -f 2 | cut -d ']' -f 1 | sort -u
}

# $1 uploads of a big image through node 1's Nginx (request ids swarm-$2-N), their
# post ids in ${ids[@]}; returns once both workers hold thumbnail tasks: each holds
# at most its concurrency (2), unacknowledged (acks_late), so 3 or more held means
# every worker holds some.
uploads_in_flight() {
  local flights="$1" name="$2" redis held=0
  # Big enough to take most of a second to thumbnail; see tests/support/images.py.
  [[ -s "${SWARM_ROOT}/big.png" ]] || .venv/bin/python -c 'import sys
from tests.support.images import png
sys.stdout.buffer.write(png((4000, 4000)))' >"${SWARM_ROOT}/big.png"
  sign_in
  rm -f "${SWARM_ROOT}"/flight-*.json
  seq "${flights}" | xargs -P 4 -I{} curl -s --max-time 30 -o "${SWARM_ROOT}/flight-{}.json" \
    -w '%{http_code}\n' -H 'Host: localhost' -H "Authorization: Bearer ${access}" \
    -H "X-Request-ID: swarm-${name}-{}" -F 'title=in flight {}' \
    -F "image=@${SWARM_ROOT}/big.png" "http://$(swarm_addr 1):8080/api/v1/posts/" \
    >"${SWARM_ROOT}/flight-codes"
  [[ "$(sort -u "${SWARM_ROOT}/flight-codes" | tr '\n' ' ')" == "201 " ]] \
    || fail "uploads before the ${name} gave $(sort "${SWARM_ROOT}/flight-codes" | uniq -c)"
  mapfile -t ids < <(python3 -c 'import json, pathlib, sys
for path in pathlib.Path(sys.argv[1]).glob("flight-*.json"):
    print(json.loads(path.read_text())["id"])' "${SWARM_ROOT}")
  ((${#ids[@]} == flights)) || fail "${#ids[@]} of ${flights} uploads gave a post id"
  redis="$(sd 1 ps -q --filter label=com.docker.swarm.service.name=drf_redis)"
  for _ in $(seq 100); do
    held="$(sd 1 exec "${redis}" redis-cli -n 1 hlen unacked)"
    ((held >= 3)) && return 0
    sleep 0.2
  done
  fail "only ${held} thumbnail tasks were in flight before the ${name}"
}
# Waits until every post of ${ids[@]} has its thumbnail, at most $1 seconds after
# $2 (a date +%s); fails naming those still waiting.
all_ready() {
  local limit="$1" since="$2" pending still id
  pending=("${ids[@]}")
  while ((${#pending[@]} > 0 && $(date +%s) - since < limit)); do
    still=()
    for id in "${pending[@]}"; do
      [[ "$(image_status "${id}")" == ready ]] || still+=("${id}")
    done
    pending=("${still[@]}")
    ((${#pending[@]} == 0)) || sleep 2
  done
  ((${#pending[@]} == 0)) \
    || fail "${#pending[@]} thumbnails not ready $(($(date +%s) - since)) s on: posts ${pending[*]}"
}
# Every post of ${ids[@]} made exactly once in the worker logs on stdin.
made_once() {
  local logs id made
  logs="$(cat)"
  for id in "${ids[@]}"; do
    made="$(grep -c "thumbnail of post ${id} is ready" <<<"${logs}" || true)"
    [[ "${made}" == 1 ]] || fail "post ${id}'s thumbnail was made ${made} times"
  done
}

# Lose a worker node (never node 1) with thumbnails in flight: every process of
# it killed at once (swarm_node_kill). Swarm marks it down and starts its tasks on
# the others; Redis hands the tasks its worker held to the other workers once
# CELERY_VISIBILITY_TIMEOUT has passed (SWARM_VISIBILITY_TIMEOUT); then every
# post's thumbnail is made exactly once in effect: every post ready, and "is
# ready" logged once per post over all workers, the lost one included.
lose_a_worker_node() {
  local victim flights=40 began down="" rescheduled="" done_in held lost_logs logs
  local redelivered
  victim="$(tasks drf_worker | sort -u | grep -v '^drfsw1$' | head -1 || true)"
  [[ -n "${victim}" ]] || fail "no worker runs outside drfsw1 to lose"
  uploads_in_flight "${flights}" nodeloss
  began=$(date +%s)
  swarm_node_kill "${victim#drfsw}"
  lost="${victim}"
  for _ in $(seq 120); do
    [[ "$(sd 1 node inspect --format '{{.Status.State}}' "${victim}")" == down ]] \
      && down=$(($(date +%s) - began)) && break
    sleep 1
  done
  [[ -n "${down}" ]] || fail "${victim} was never marked down"
  for _ in $(seq 120); do
    moved drf_worker "${worker}" "${victim}" && rescheduled=$(($(date +%s) - began)) && break
    sleep 1
  done
  [[ -n "${rescheduled}" ]] || fail "the worker tasks of ${victim} were not rescheduled"
  all_ready 300 "${began}"
  done_in=$(($(date +%s) - began))
  # Held: received by the lost worker, never finished there.
  lost_logs="$(lost_worker_logs "${victim}")"
  comm -23 <(task_ids received <<<"${lost_logs}") <(task_ids succeeded <<<"${lost_logs}") \
    >"${SWARM_ROOT}/held"
  held="$(wc -l <"${SWARM_ROOT}/held")"
  ((held > 0)) || fail "the worker on ${victim} held no thumbnail task when it was lost"
  logs="$(live_worker_logs "${victim}")"
  redelivered="$(comm -12 "${SWARM_ROOT}/held" <(task_ids received <<<"${logs}") | wc -l)"
  printf '%s\n%s\n' "${logs}" "${lost_logs}" | made_once
  figure "node loss" "${done_in}" "${victim} lost (every process killed) with ${flights}\
 uploads' thumbnails in flight, ${held} held by its worker: down after ${down} s, its\
 worker running elsewhere after ${rescheduled} s, every thumbnail ready after ${done_in} s\
 and made once (${redelivered} of the held tasks redelivered to the others)"
}
if ((nodes > 1)); then
  drained="$(comm -12 <(tasks drf_web | sort -u) <(tasks drf_worker | sort -u) \
    | grep -v '^drfsw1$' | tail -1 || true)"
  drained="${drained:-drfsw${nodes}}"
  # Thumbnails in flight on every worker, the drained node's included: its warm
  # shutdown finishes the tasks it runs and hands back those it holds unstarted.
  since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  uploads_in_flight 20 drain
  load_start 1 --reads-only
  began=$(date +%s)
  sd 1 node update --availability drain "${drained}" >/dev/null
  want_after="drf_beat 1/1 drf_db 1/1 drf_nginx $((nodes - 1))/${nodes} drf_redis 1/1"
  want_after+=" drf_web ${web}/${web} drf_worker ${worker}/${worker}"
  # Moved: as many tasks running as desired, none on the drained node, whose
  # engine runs no container any more.
  left="?"
  for _ in $(seq 90); do
    left="$(sd "${drained#drfsw}" ps -q | wc -l)"
    [[ "${left}" == 0 ]] && moved drf_web "${web}" "${drained}" \
      && moved drf_worker "${worker}" "${drained}" && break
    sleep 2
  done
  seconds=$(($(date +%s) - began))
  load_stop "the drain of ${drained}"
  [[ "${left}" == 0 ]] || fail "${left} containers still run on the drained ${drained}"
  if ! { moved drf_web "${web}" "${drained}" && moved drf_worker "${worker}" "${drained}"; }; then
    fail "web and worker did not move off ${drained}"
  fi
  # The others follow in their own time: a beat moved off the drained node
  # counts once its first health check passed (15 s interval), after web and worker.
  swarm_wait_replicas "${want_after}" 60 \
    || fail "after the drain services are $(swarm_replicas), not ${want_after}"
  all_ready 180 "${began}"
  live_worker_logs none | made_once
  drained_logs="$(drained_worker_logs "${drained}" "${since}")"
  finished="$(task_ids succeeded <<<"${drained_logs}" | wc -l)"
  handed="$(comm -23 <(task_ids received <<<"${drained_logs}") \
    <(task_ids succeeded <<<"${drained_logs}") | wc -l)"
  sd 1 node update --availability active "${drained}" >/dev/null
  figure drain "${seconds}" "${drained} drained in ${seconds} s, its web and worker tasks\
 running elsewhere, under read load, 0 failed; 20 thumbnails in flight all made once\
 (${finished} finished by the drained worker, ${handed} handed back and made elsewhere)" \
    "${result}"
  lose_a_worker_node
fi

# No secret value in the services' specs nor in any container's configuration on
# any node but the lost one (Docker secrets are files in /run/secrets, never
# environment values).
inspected() {
  local n ids
  mapfile -t ids < <(sd 1 service ls -q)
  sd 1 service inspect "${ids[@]}"
  for n in $(seq "${nodes}"); do
    [[ "drfsw${n}" == "${lost:-}" ]] && continue
    mapfile -t ids < <(sd "${n}" ps -a -q)
    ((${#ids[@]} == 0)) || sd "${n}" inspect "${ids[@]}"
  done
}
leaked="$(inspected | grep -c -F -f "${SWARM_ROOT}/secrets" || true)"
[[ "${leaked}" == 0 ]] || fail "a secret value is in docker inspect ${leaked} times"
figure secrets 0 "no value of the $(wc -l <"${SWARM_ROOT}/secrets") secrets in docker inspect of\
 any service or container"
if [[ -n "${SWARM_FIGURES:-}" ]]; then
  python3 -c 'import json, pathlib, sys
phases, figures, nodes, began = sys.argv[1:]
lines = pathlib.Path(phases).read_text().splitlines()
pathlib.Path(figures).write_text(json.dumps({
    "nodes": int(nodes), "started_at": began,
    "phases": [json.loads(line) for line in lines]}, indent=2) + "\n")' \
    "${SWARM_ROOT}/phases.jsonl" "${SWARM_FIGURES}" "${nodes}" "${began_at}"
fi
