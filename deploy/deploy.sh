#!/usr/bin/env bash
# Deploys one commit's images to a Docker host over SSH: the stack of
# docker-compose.yml with the changes of deploy/compose.deploy.yml, and its backups
# (deploy/compose.backups.yml).
#
# Configuration flows CI/CD variable -> this process's environment -> compose's
# ${VAR} interpolation -> the containers' environment -> python-decouple. No .env
# file is read here (--env-file /dev/null) or written anywhere; the server keeps
# nothing but containers and volumes.
#
# Steps, each stopping the deploy if it fails:
#   1. render the configuration: a missing required variable fails here, before
#      anything on the server changes;
#   2. log in to the registry and pull the new images onto the server;
#   3. store the backup repository's secrets in their volume, through a one-off
#      container's standard input (never a container's environment);
#   4. start (or keep) PostgreSQL and Redis, and wait until they are healthy;
#   5. apply migrations once, in a one-off container of the new image, while the
#      old web containers still serve;
#   6. replace web, worker, beat, Nginx and the backup sidecar, and wait until they
#      report healthy.
# With DEPLOY_MODE=swarm, DEPLOY_HOST is a Swarm manager and the stack of
# deploy/stack.yml is deployed instead: steps 1 and 2 as above (the images are
# pulled by the nodes, with the registry login passed on), then the secrets become
# Docker secrets, and deploy/stack-deploy.sh does steps 4 to 6 in the same order.
# The Swarm stack runs no backups yet (it does not include compose.backups.yml).
#
# Usage (the GitLab deploy jobs): deploy/deploy.sh
#   DEPLOY_HOST      user@host[:port] of the Docker host (ssh); required unless dry run
#   SSH_PRIVATE_KEY  key for DEPLOY_HOST: a file path (GitLab "File" variable) or the
#                    key itself; without it, ssh's own keys and agent are tried
#   SSH_KNOWN_HOSTS  DEPLOY_HOST's host key line(s): a file path or the lines
#                    themselves; required unless dry run
#   IMAGE_TAG        image tag to deploy; default: the tag, else the commit SHA
#   DEPLOY_MODE      compose (default: one Docker host) or swarm (a Swarm manager)
#   BACKUP_CIPHER_PASS, BACKUP_S3_KEY, BACKUP_S3_KEY_SECRET
#                    the backup repository's passphrase and the backup bucket's own
#                    key pair; required (compose mode), stored as files only
#   BACKUP_STANZA    the environment's backups; default: CI_ENVIRONMENT_SLUG
#   DEPLOY_DRY_RUN=1 print the plan (stderr) and the rendered configuration (stdout),
#                    and touch nothing
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
DRY_RUN="${DEPLOY_DRY_RUN:-0}"
MODE="${DEPLOY_MODE:-compose}"
if [[ "$MODE" != compose && "$MODE" != swarm ]]; then
  echo "deploy: DEPLOY_MODE must be compose or swarm, not '$MODE'" >&2
  exit 2
fi

# The backup repository's secrets reach the containers only as files, through
# standard input (store_backup_secrets): no command run here has them in its
# environment.
export -n BACKUP_CIPHER_PASS BACKUP_S3_KEY BACKUP_S3_KEY_SECRET

export APP_IMAGE="${APP_IMAGE:-${CI_REGISTRY_IMAGE:?set APP_IMAGE or CI_REGISTRY_IMAGE}}"
export NGINX_IMAGE="${NGINX_IMAGE:-$APP_IMAGE/nginx}"
export DB_IMAGE="${DB_IMAGE:-$APP_IMAGE/postgres}"
export IMAGE_TAG="${IMAGE_TAG:-${CI_COMMIT_TAG:-${CI_COMMIT_SHA:?set IMAGE_TAG or CI_COMMIT_SHA}}}"
# One compose project (or Swarm stack) per environment, so staging and production
# may share a host or a cluster.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-drf-${CI_ENVIRONMENT_SLUG:-production}}"
# Each environment's backups in a stanza of its own: a restore reads only these.
export BACKUP_STANZA="${BACKUP_STANZA:-${CI_ENVIRONMENT_SLUG:-production}}"

compose=(
  docker compose
  --env-file /dev/null
  --file docker-compose.yml
  --file deploy/compose.deploy.yml
  --file deploy/compose.backups.yml
)
# Through standard input only (docker/postgres/backup-secrets-store).
store_backup_secrets=(run --rm --no-deps -T backup backup-secrets-store)

# Secrets compose never sees, checked here before anything changes. (Not exported
# above: docker-compose.yml's defaults would interpolate them into the configuration
# it renders, and the Swarm stack's.)
require_backup_secrets() {
  : "${BACKUP_CIPHER_PASS:?BACKUP_CIPHER_PASS is required for a deploy (the passphrase of the backup repository)}"
  : "${BACKUP_S3_KEY:?BACKUP_S3_KEY is required for a deploy (the access key of the backup bucket)}"
  : "${BACKUP_S3_KEY_SECRET:?BACKUP_S3_KEY_SECRET is required for a deploy (the secret key of the backup bucket)}"
}

plan() {
  echo "deploy: $COMPOSE_PROJECT_NAME <- $APP_IMAGE:$IMAGE_TAG, $NGINX_IMAGE:$IMAGE_TAG, $DB_IMAGE:$IMAGE_TAG; backups: stanza $BACKUP_STANZA" >&2
  if [[ "$DRY_RUN" == 1 ]]; then
    echo "deploy: dry run; would run on ${DEPLOY_HOST:-<DEPLOY_HOST>}:" >&2
    DRY_RUN=1 run "${compose[@]}" pull --quiet web worker beat nginx db backup >&2
    echo "$(DRY_RUN=1 run "${compose[@]}" "${store_backup_secrets[@]}")" \
      "< BACKUP_CIPHER_PASS, BACKUP_S3_KEY, BACKUP_S3_KEY_SECRET" >&2
    DRY_RUN=1 run "${compose[@]}" up --detach --wait db redis >&2
    DRY_RUN=1 run "${compose[@]}" run --rm --no-deps web \
      python manage.py migrate_locked --noinput >&2
    DRY_RUN=1 run "${compose[@]}" up --detach --wait --remove-orphans >&2
  fi
}

# Prints a variable that holds either a file's path (a GitLab "File" variable) or
# the content itself, ending with a newline as ssh's files must.
file_or_value() {
  if [[ -f "$1" ]]; then
    cat -- "$1"
  else
    printf '%s' "$1"
  fi
  echo
}

# Points the docker CLI at DEPLOY_HOST's engine through ssh, with the deploy key and
# the pinned host key. Key, known hosts and config live in a private directory
# removed on exit: ~/.ssh is never changed, and its config and known_hosts unused.
connect() {
  : "${DEPLOY_HOST:?DEPLOY_HOST is required: user@host of the Docker host}"
  : "${SSH_KNOWN_HOSTS:?SSH_KNOWN_HOSTS is required: the host key line(s) of DEPLOY_HOST}"
  ssh_dir="$(mktemp -d)"
  trap disconnect EXIT
  file_or_value "$SSH_KNOWN_HOSTS" >"$ssh_dir/known_hosts"
  local identity="IdentitiesOnly no"
  if [[ -n "${SSH_PRIVATE_KEY:-}" ]]; then
    (umask 077 && file_or_value "$SSH_PRIVATE_KEY" >"$ssh_dir/id")
    identity="IdentityFile $ssh_dir/id"
  fi
  # BatchMode: fail rather than wait for a password. The control master lets the
  # many connections compose opens share one ssh session.
  cat >"$ssh_dir/config" <<SSH_CONFIG
Host *
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $ssh_dir/known_hosts
  $identity
  ControlMaster auto
  ControlPath $ssh_dir/control
  ControlPersist 60
SSH_CONFIG
  # The docker CLI runs `ssh` from PATH: this one reads the config above.
  mkdir "$ssh_dir/bin"
  printf '#!/bin/sh\nexec %q -F %q "$@"\n' "$(command -v ssh)" "$ssh_dir/config" \
    >"$ssh_dir/bin/ssh"
  chmod +x "$ssh_dir/bin/ssh"
  export PATH="$ssh_dir/bin:$PATH"
  export DOCKER_HOST="ssh://$DEPLOY_HOST"
}

# Stops the shared ssh session and removes the key and config.
disconnect() {
  ssh -O exit deploy-host 2>/dev/null || true
  rm -rf -- "$ssh_dir"
}

# Swarm secrets cannot change, so each set of values gets names of its own: the
# stack's name, and a version from a digest of all the values. A deploy with new
# values creates new secrets and rolls the services onto them; the old ones stay
# until removed by hand (`docker secret ls`).
swarm_secrets() {
  : "${SECRET_KEY:?SECRET_KEY is required}"
  : "${JWT_SIGNING_KEY:?JWT_SIGNING_KEY is required}"
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
  # As docker-compose.yml builds it for the compose deploy.
  database_url="postgres://app:${POSTGRES_PASSWORD}@db:5432/app"
  export STACK_SECRET_PREFIX="$COMPOSE_PROJECT_NAME"
  STACK_SECRET_VERSION="_$(printf '%s\0' "$SECRET_KEY" "$JWT_SIGNING_KEY" \
    "$POSTGRES_PASSWORD" | sha256sum | cut -c1-12)"
  export STACK_SECRET_VERSION
}

# Creates the stack's secrets that do not exist yet; values go through stdin only.
create_secret() {
  local name="${STACK_SECRET_PREFIX}_$1${STACK_SECRET_VERSION}"
  if [[ "$DRY_RUN" == 1 ]]; then
    echo "+ docker secret create $name - (from $2)"
  elif ! docker secret inspect "$name" >/dev/null 2>&1; then
    printf '%s' "$3" | docker secret create "$name" - >/dev/null
  fi
}

swarm_deploy() {
  create_secret secret_key SECRET_KEY "$SECRET_KEY"
  create_secret jwt_signing_key JWT_SIGNING_KEY "$JWT_SIGNING_KEY"
  create_secret postgres_password POSTGRES_PASSWORD "$POSTGRES_PASSWORD"
  create_secret database_url "POSTGRES_PASSWORD, as a postgres:// URL" "$database_url"
  run deploy/stack-deploy.sh "$COMPOSE_PROJECT_NAME" --with-registry-auth --detach=false
}

if [[ "$MODE" == swarm ]]; then
  swarm_secrets
  echo "deploy: swarm stack $COMPOSE_PROJECT_NAME <- $APP_IMAGE:$IMAGE_TAG, $NGINX_IMAGE:$IMAGE_TAG" >&2
  if [[ "$DRY_RUN" == 1 ]]; then
    echo "deploy: dry run; would run on the manager ${DEPLOY_HOST:-<DEPLOY_HOST>}:" >&2
    { registry_login && swarm_deploy; } >&2
    exec env STACK_NAME="$COMPOSE_PROJECT_NAME" deploy/stack-config.sh
  fi
  STACK_NAME="$COMPOSE_PROJECT_NAME" deploy/stack-config.sh >/dev/null
  connect
  engine="$(docker version --format '{{.Server.Version}}')"
  echo "deploy: Docker $engine on the manager $DEPLOY_HOST" >&2
  registry_login
  swarm_deploy
  docker stack services "$COMPOSE_PROJECT_NAME"
  exit 0
fi

require_backup_secrets
plan
if [[ "$DRY_RUN" == 1 ]]; then
  exec "${compose[@]}" config
fi

"${compose[@]}" config --quiet
connect
# An assignment, so that an unreachable host stops the deploy here (set -e).
engine="$(docker version --format '{{.Server.Version}}')"
echo "deploy: Docker $engine on $DEPLOY_HOST" >&2
registry_login
# The project's images, always (PostgreSQL's too: it carries pgBackRest; its major
# version changes only with docker/postgres/Dockerfile). Redis comes from Docker
# Hub when the host lacks it; updating it is a deliberate `pull redis`.
"${compose[@]}" pull --quiet web worker beat nginx db backup
printf '%s\0' "$BACKUP_CIPHER_PASS" "$BACKUP_S3_KEY" "$BACKUP_S3_KEY_SECRET" |
  "${compose[@]}" "${store_backup_secrets[@]}"
"${compose[@]}" up --detach --wait db redis
"${compose[@]}" run --rm --no-deps web python manage.py migrate_locked --noinput
"${compose[@]}" up --detach --wait --remove-orphans
"${compose[@]}" ps
