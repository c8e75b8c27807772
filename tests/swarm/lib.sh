# Sourced by the Swarm tests: Docker engines of their own, one per network
# namespace (drfsw<N>, 10.213.7.1<N> on bridge drfswbr0), which can form a Swarm
# here where privileged containers (Docker-in-Docker) cannot start. Everything is
# named so swarm_teardown can remove it, also after a failed or interrupted run.
# shellcheck shell=bash

SWARM_BRIDGE=drfswbr0
SWARM_ROOT=/tmp/drfsw
SWARM_TAG=swarm-smoke
# Seconds before Redis hands a dead worker's tasks to another (300 in production):
# short enough for the node-loss drill, above the thumbnail task's 45 s time limit.
SWARM_VISIBILITY_TIMEOUT=60

swarm_addr() { echo "10.213.7.1$1"; }
swarm_sock() { echo "unix://${SWARM_ROOT}/drfsw$1/docker.sock"; }
# docker against node N's engine: sd 1 service ls
sd() { local n="$1"; shift; docker -H "$(swarm_sock "${n}")" "$@"; }

swarm_teardown() {
  local dir pid
  for dir in "${SWARM_ROOT}"/drfsw*; do
    [[ -f "${dir}/docker.pid" ]] || continue
    pid="$(cat "${dir}/docker.pid")"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -9 "${pid}" 2>/dev/null || true
  done
  # The containers of a killed node leave their (empty) cgroups behind.
  for dir in "${SWARM_ROOT}"/drfsw*/data/containers/*/; do
    [[ -d "${dir}" ]] || continue
    rmdir /sys/fs/cgroup/docker/"$(basename "${dir}")" \
      /sys/fs/cgroup/*/docker/"$(basename "${dir}")" 2>/dev/null || true
  done
  { grep -o " ${SWARM_ROOT}/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do
    umount -l "${m}" 2>/dev/null || true
  done
  { ip netns list | grep -o '^drfsw[0-9]*' || true; } | while read -r ns; do
    ip netns del "${ns}"
  done
  ip link del "${SWARM_BRIDGE}" 2>/dev/null || true
  while iptables -D DOCKER-USER -i "${SWARM_BRIDGE}" -j ACCEPT 2>/dev/null; do :; done
  while iptables -D DOCKER-USER -o "${SWARM_BRIDGE}" -j ACCEPT 2>/dev/null; do :; done
  rm -rf "${SWARM_ROOT}"
}

# This checkout's images under a tag of their own (IMAGE_TAG; another checkout's
# build may replace :latest). Compose's builds, so cache hits after the e2e tests.
swarm_build_images() {
  IMAGE_TAG="${SWARM_TAG}" SECRET_KEY=- JWT_SIGNING_KEY=- POSTGRES_PASSWORD=- \
    docker compose --project-name drfsw --env-file /dev/null --file docker-compose.yml \
    build --quiet web s3 nginx
  docker build --quiet --tag "drf-swarm-postgres:${SWARM_TAG}" \
    tests/swarm/postgres-file-env >/dev/null
}

swarm_bridge_up() {
  mkdir -p "${SWARM_ROOT}"
  ip link add "${SWARM_BRIDGE}" type bridge
  ip addr add 10.213.7.1/24 dev "${SWARM_BRIDGE}"
  ip link set "${SWARM_BRIDGE}" up
  iptables -I DOCKER-USER -i "${SWARM_BRIDGE}" -j ACCEPT
  iptables -I DOCKER-USER -o "${SWARM_BRIDGE}" -j ACCEPT
}

# Node N: its namespace, its engine (started in the background), the images loaded.
swarm_node_up() {
  local n="$1" ns="drfsw$1" dir="${SWARM_ROOT}/drfsw$1"
  mkdir -p "${dir}"
  ip netns add "${ns}"
  ip link add "${ns}-h" type veth peer name eth0 netns "${ns}"
  ip link set "${ns}-h" master "${SWARM_BRIDGE}" up
  ip -n "${ns}" addr add "$(swarm_addr "${n}")/24" dev eth0
  ip -n "${ns}" link set eth0 up
  ip -n "${ns}" link set lo up
  ip -n "${ns}" route add default via 10.213.7.1
  nsenter --net="/var/run/netns/${ns}" unshare --uts sh -c \
    "hostname ${ns}; exec dockerd --data-root ${dir}/data --exec-root ${dir}/exec \
     --pidfile ${dir}/docker.pid --host $(swarm_sock "${n}") --bridge none" \
    >"${dir}/dockerd.log" 2>&1 &
  disown  # stopped by its PID (swarm_teardown, swarm_node_kill), not as a job
  for _ in $(seq 60); do sd "${n}" info >/dev/null 2>&1 && break; sleep 0.5; done
  docker save "drf-reference-app:${SWARM_TAG}" "drf-reference-nginx:${SWARM_TAG}" \
    "drf-swarm-postgres:${SWARM_TAG}" redis:8 "drf-reference-s3:${SWARM_TAG}" \
    | sd "${n}" load -q >/dev/null
  # The stack names the official postgres:17; see tests/swarm/postgres-file-env.
  sd "${n}" tag "drf-swarm-postgres:${SWARM_TAG}" postgres:17
}

# A Swarm of nodes 1..N, node 1 its manager and the home of db and redis, and the
# stack's secrets, whose values go to ${SWARM_ROOT}/secrets, a line each (for the
# leak check). Prints the database password.
swarm_init() {
  local nodes="$1" n token pw value
  sd 1 swarm init --advertise-addr "$(swarm_addr 1)" >/dev/null
  token="$(sd 1 swarm join-token -q worker)"
  for n in $(seq 2 "${nodes}"); do
    sd "${n}" swarm join --advertise-addr "$(swarm_addr "${n}")" --token "${token}" \
      "$(swarm_addr 1):2377" >/dev/null
  done
  sd 1 node update --label-add drf.db=true --label-add drf.redis=true drfsw1 >/dev/null
  pw="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  for name in secret_key jwt_signing_key; do
    value="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    printf %s "${value}" | sd 1 secret create "drf_${name}" - >/dev/null
    echo "${value}" >>"${SWARM_ROOT}/secrets"
  done
  echo "${pw}" >>"${SWARM_ROOT}/secrets"
  printf %s "${pw}" | sd 1 secret create drf_postgres_password - >/dev/null
  printf %s "postgres://app:${pw}@db:5432/app" | sd 1 secret create drf_database_url - >/dev/null
  echo "${pw}"
}

# The stack "drf" for these nodes, deployed as a deploy does: deploy/stack-deploy.sh
# through node 1, a manager (db and redis, then the migrate job, then the rest).
# gunicorn's access log (off by default) is on: its line of an upload names the
# node whose web replica took it (stack-test.sh, the thumbnails' nodes).
swarm_deploy() {
  local web="$1" worker="$2" nginx="$3"
  APP_IMAGE=drf-reference-app NGINX_IMAGE=drf-reference-nginx IMAGE_TAG="${SWARM_TAG}" \
    ALLOWED_HOSTS="localhost" AWS_STORAGE_BUCKET_NAME=media \
    AWS_S3_ENDPOINT_URL=http://s3:5000 AWS_ACCESS_KEY_ID=s3-stand-in \
    AWS_SECRET_ACCESS_KEY=s3-stand-in SECURE_SSL_REDIRECT=False NGINX_FORWARDED_PROTO=http \
    CELERY_VISIBILITY_TIMEOUT="${SWARM_VISIBILITY_TIMEOUT}" GUNICORN_ACCESS_LOG=true \
    WEB_REPLICAS="${web}" WORKER_REPLICAS="${worker}" NGINX_REPLICAS="${nginx}" \
    DOCKER_HOST="$(swarm_sock 1)" deploy/stack-deploy.sh drf --resolve-image never \
    >/dev/null
  # The media bucket: the S3 stand-in (in-memory, the compose file's `s3`) on the
  # stack's attachable backend network, where it resolves as `s3`; a deploy uses
  # a real bucket instead.
  sd 1 service create --detach --quiet --name s3 --network drf_backend \
    --endpoint-mode dnsrr --constraint node.hostname==drfsw1 --read-only \
    --mount type=tmpfs,dst=/tmp --env AWS_STORAGE_BUCKET_NAME=media \
    --env BACKUP_BUCKET=backups --no-resolve-image "drf-reference-s3:${SWARM_TAG}" >/dev/null
}

# The PIDs given and all their descendants.
swarm_tree() {
  local pid children
  for pid in "$@"; do
    echo "${pid}"
    mapfile -t children < <(pgrep -P "${pid}" || true)
    ((${#children[@]} == 0)) || swarm_tree "${children[@]}"
  done
}

# Node N lost at once, as when its host dies: SIGKILL to every process of it, all
# collected first (its dockerd, the containerd it started and the shims, which run
# in its namespace, and the containers' processes under them). Killing the dockerd
# alone would leave its containers running, still taking tasks.
swarm_node_kill() {
  local pids
  mapfile -t pids < <(ip netns pids "drfsw$1")
  ((${#pids[@]} > 0)) || return 0
  mapfile -t pids < <(swarm_tree "${pids[@]}")
  kill -9 "${pids[@]}" 2>/dev/null || true
}

# "name running/desired ..." of the long-running services, sorted.
swarm_replicas() {
  sd 1 service ls --format '{{.Name}} {{.Replicas}}' | grep -v -e drf_migrate -e '^s3 ' \
    | sed -E 's/ \(max [0-9]+ per node\)//' | sort | tr '\n' ' ' | sed 's/ $//'
}

# Waits, at most $2 tries of 2 s, until swarm_replicas is $1.
swarm_wait_replicas() {
  local want="$1" tries="$2"
  for _ in $(seq "${tries}"); do
    [[ "$(swarm_replicas)" == "${want}" ]] && return 0
    sleep 2
  done
  return 1
}

swarm_report_failure() {
  local services
  mapfile -t services < <(sd 1 service ls -q)
  sd 1 service ls
  sd 1 node ls
  sd 1 service ps --no-trunc --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' \
    "${services[@]}" | head -50
  # Bounded: logs of a task on an unreachable node never end.
  for s in drf_migrate drf_web drf_worker drf_nginx drf_db s3; do
    timeout 20 docker -H "$(swarm_sock 1)" service logs --raw "${s}" 2>&1 | tail -15
  done
}
