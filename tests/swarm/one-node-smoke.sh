#!/usr/bin/env bash
# One-node Swarm smoke test of deploy/stack.yml: a dockerd of its own in network
# namespace drfsw1 (10.213.7.11 on bridge drfswbr0), the stack deployed on it, every
# service at its replica count, and the account flow (register, token, /users/me/
# on both web replicas) through Nginx; no secret value in `docker service inspect`.
# Tears everything down, also on failure. A first step towards issue 13's
# three-node harness.
# Run as root, under the Docker lock: flock /tmp/drf-docker.lock tests/swarm/one-node-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

ns=drfsw1 bridge=drfswbr0 addr=10.213.7.11
root=/tmp/drfsw/${ns}
sock=unix://${root}/docker.sock
tag=swarm-smoke

cleanup() {
  if [[ -f "${root}/docker.pid" ]]; then
    pid="$(cat "${root}/docker.pid")"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -9 "${pid}" 2>/dev/null || true
  fi
  { grep -o " ${root}[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
    umount -l "${m}" 2>/dev/null || true
  done
  ip netns del "${ns}" 2>/dev/null || true
  ip link del "${bridge}" 2>/dev/null || true
  while iptables -D DOCKER-USER -i "${bridge}" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D DOCKER-USER -o "${bridge}" -j ACCEPT 2>/dev/null; do :; done
  rm -rf "${root}"
}
cleanup
trap cleanup EXIT
trap "exit 1" INT TERM

# This checkout's image under a tag of its own (the shared :latest may be another's).
printf 'services:\n  web:\n    image: drf-reference-app:%s\n' "${tag}" >"/tmp/drfsw-${tag}.yml"
SECRET_KEY=- JWT_SIGNING_KEY=- POSTGRES_PASSWORD=- \
  docker compose --project-name drfsw --file docker-compose.yml \
  --file "/tmp/drfsw-${tag}.yml" build --quiet web
docker tag drf-reference-nginx:latest "drf-reference-nginx:${tag}"
docker build --quiet --tag "drf-swarm-postgres:${tag}" tests/swarm/postgres-file-env >/dev/null

mkdir -p "${root}"
ip link add "${bridge}" type bridge
ip addr add 10.213.7.1/24 dev "${bridge}"
ip link set "${bridge}" up
iptables -I DOCKER-USER -i "${bridge}" -j ACCEPT
iptables -I DOCKER-USER -o "${bridge}" -j ACCEPT
ip netns add "${ns}"
ip link add "${ns}-h" type veth peer name eth0 netns "${ns}"
ip link set "${ns}-h" master "${bridge}" up
ip -n "${ns}" addr add "${addr}/24" dev eth0
ip -n "${ns}" link set eth0 up
ip -n "${ns}" link set lo up
ip -n "${ns}" route add default via 10.213.7.1

nsenter --net="/var/run/netns/${ns}" unshare --uts sh -c \
  "hostname ${ns}; exec dockerd --data-root ${root}/data --exec-root ${root}/exec \
   --pidfile ${root}/docker.pid --host ${sock} --bridge none" \
  >"${root}/dockerd.log" 2>&1 &
d=(docker -H "${sock}")
for _ in $(seq 60); do "${d[@]}" info >/dev/null 2>&1 && break; sleep 0.5; done

start=$(date +%s)
docker save "drf-reference-app:${tag}" "drf-reference-nginx:${tag}" \
  "drf-swarm-postgres:${tag}" redis:8 | "${d[@]}" load -q >/dev/null
# The stack names the official postgres:17; see tests/swarm/postgres-file-env.
"${d[@]}" tag "drf-swarm-postgres:${tag}" postgres:17
"${d[@]}" swarm init --advertise-addr "${addr}" >/dev/null
node="$("${d[@]}" node ls -q)"
"${d[@]}" node update --label-add drf.db=true --label-add drf.redis=true "${node}" >/dev/null
pw="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
for name in secret_key jwt_signing_key; do
  python3 -c 'import secrets; print(secrets.token_urlsafe(48), end="")' \
    | "${d[@]}" secret create "drf_${name}" - >/dev/null
done
printf %s "${pw}" | "${d[@]}" secret create drf_postgres_password - >/dev/null
printf %s "postgres://app:${pw}@db:5432/app" | "${d[@]}" secret create drf_database_url - >/dev/null

APP_IMAGE=drf-reference-app NGINX_IMAGE=drf-reference-nginx IMAGE_TAG="${tag}" \
  ALLOWED_HOSTS="${addr},localhost" AWS_STORAGE_BUCKET_NAME=media \
  AWS_S3_ENDPOINT_URL='' SECURE_SSL_REDIRECT=False NGINX_FORWARDED_PROTO=http \
  WEB_REPLICAS=2 WORKER_REPLICAS=1 \
  deploy/stack-config.sh >"${root}/stack.yml"
"${d[@]}" stack deploy --detach=true --resolve-image never -c "${root}/stack.yml" drf >/dev/null

code=000
# Bounded: 120 tries of at most 5 + 2 s (Nginx holds a request up to its 60 s
# proxy_read_timeout while web is not up).
for _ in $(seq 120); do
  code="$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H 'Host: localhost' \
    "http://${addr}:8080/healthz" || true)"
  [[ "${code}" == 200 ]] && break
  sleep 2
done
fail() {
  mapfile -t services < <("${d[@]}" service ls -q)
  "${d[@]}" service ls
  "${d[@]}" service ps --no-trunc --format '{{.Name}} {{.CurrentState}} {{.Error}}' \
    "${services[@]}" | head -40
  for s in migrate web nginx db; do "${d[@]}" service logs --raw "drf_${s}" 2>&1 | tail -15; done
  echo "one-node smoke: FAILED, $*" >&2
  exit 1
}
[[ "${code}" == 200 ]] || fail "/healthz gave ${code}"

# Every long-running service at its replica count (healthy, for those with a
# healthcheck), bounded at 60 tries of 2 s.
want="drf_beat 1/1 drf_db 1/1 drf_nginx 1/1 drf_redis 1/1 drf_web 2/2 drf_worker 1/1"
for _ in $(seq 60); do
  have="$("${d[@]}" service ls --format '{{.Name}} {{.Replicas}}' | grep -v drf_migrate \
    | sed -E 's/ \(max [0-9]+ per node\)//' | sort | tr '\n' ' ')"
  [[ "${have% }" == "${want}" ]] && break
  sleep 2
done
[[ "${have% }" == "${want}" ]] || fail "services are ${have}, not ${want}"
converged=$(($(date +%s) - start))

# The account flow through Nginx: PostgreSQL, the secrets and the JWT key in use.
api() { curl -s --max-time 10 -H 'Host: localhost' -H 'Content-Type: application/json' "$@"; }
url="http://${addr}:8080/api/v1"
creds='{"email": "swarm@example.com", "password": "correct-horse-battery"}'
code="$(api -o /dev/null -w '%{http_code}' -X POST "${url}/auth/register/" -d "${creds}")"
[[ "${code}" == 201 ]] || fail "register gave ${code}"
access="$(api -X POST "${url}/auth/token/" -d "${creds}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])')" \
  || fail "no access token"
# Several calls, so both web replicas (DNS round robin in Nginx) check the token.
for _ in 1 2 3 4; do
  code="$(api -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${access}" \
    "${url}/users/me/")"
  [[ "${code}" == 200 ]] || fail "/users/me/ gave ${code}"
done
leaked="$("${d[@]}" service inspect drf_web drf_worker drf_beat drf_db drf_migrate | grep -c -F "${pw}" || true)"
echo "one-node smoke: converged after ${converged} s, account flow 201/200/4x200," \
  "secret in service inspect: ${leaked} times"
[[ "${leaked}" == 0 ]]
