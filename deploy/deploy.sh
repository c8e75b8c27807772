#!/usr/bin/env bash
# Deploys one commit's images to a Docker host over SSH: the stack of
# docker-compose.yml with the changes of deploy/compose.deploy.yml.
#
# Configuration flows CI/CD variable -> this process's environment -> compose's
# ${VAR} interpolation -> the containers' environment -> python-decouple. No .env
# file is read here (--env-file /dev/null) or written anywhere; the server keeps
# nothing but containers and volumes.
#
# Steps, each stopping the deploy if it fails:
#   1. render the configuration: a missing required variable fails here, before
#      anything on the server changes;
#   2. log the server's engine in to the registry and pull the new images;
#   3. start (or keep) PostgreSQL and Redis, and wait until they are healthy;
#   4. apply migrations once, in a one-off container of the new image, while the
#      old web containers still serve;
#   5. replace web, worker, beat and Nginx, and wait until they report healthy.
#
# Usage (the GitLab deploy jobs): deploy/deploy.sh
#   DEPLOY_HOST      user@host[:port] of the Docker host (ssh); required unless dry run
#   SSH_PRIVATE_KEY  key for DEPLOY_HOST: a file path (GitLab "File" variable) or the key
#   SSH_KNOWN_HOSTS  DEPLOY_HOST's host key line(s): a file path or the lines themselves
#   IMAGE_TAG        image tag to deploy; default: the tag, else the commit SHA
#   DEPLOY_DRY_RUN=1 print the plan (stderr) and the rendered configuration (stdout),
#                    and touch nothing
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
DRY_RUN="${DEPLOY_DRY_RUN:-0}"

export APP_IMAGE="${APP_IMAGE:-${CI_REGISTRY_IMAGE:?set APP_IMAGE or CI_REGISTRY_IMAGE}}"
export NGINX_IMAGE="${NGINX_IMAGE:-$APP_IMAGE/nginx}"
export IMAGE_TAG="${IMAGE_TAG:-${CI_COMMIT_TAG:-${CI_COMMIT_SHA:?set IMAGE_TAG or CI_COMMIT_SHA}}}"
# One compose project per environment, so staging and production may share a host.
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-drf-${CI_ENVIRONMENT_SLUG:-production}}"

compose=(
  docker compose
  --env-file /dev/null
  --file docker-compose.yml
  --file deploy/compose.deploy.yml
)

plan() {
  echo "deploy: $COMPOSE_PROJECT_NAME <- $APP_IMAGE:$IMAGE_TAG, $NGINX_IMAGE:$IMAGE_TAG" >&2
  if [[ "$DRY_RUN" == 1 ]]; then
    echo "deploy: dry run; would run on ${DEPLOY_HOST:-<DEPLOY_HOST>}:" >&2
    DRY_RUN=1 run "${compose[@]}" pull >&2
    DRY_RUN=1 run "${compose[@]}" up --detach --wait db redis >&2
    DRY_RUN=1 run "${compose[@]}" run --rm --no-deps web \
      python manage.py migrate --noinput >&2
    DRY_RUN=1 run "${compose[@]}" up --detach --wait --remove-orphans >&2
  fi
}

# Trusts DEPLOY_HOST's key and loads the deploy key into an agent, then points the
# docker CLI at the host's engine through ssh.
connect() {
  : "${DEPLOY_HOST:?DEPLOY_HOST is required: user@host of the Docker host}"
  mkdir -p ~/.ssh
  chmod 700 ~/.ssh
  if [[ -n "${SSH_KNOWN_HOSTS:-}" ]]; then
    if [[ -f "$SSH_KNOWN_HOSTS" ]]; then
      cat "$SSH_KNOWN_HOSTS" >>~/.ssh/known_hosts
    else
      printf '%s\n' "$SSH_KNOWN_HOSTS" >>~/.ssh/known_hosts
    fi
  fi
  # compose opens many connections; one multiplexed ssh session serves them all.
  cat >>~/.ssh/config <<'EOF'
Host *
  StrictHostKeyChecking yes
  ControlMaster auto
  ControlPath ~/.ssh/control-%C
  ControlPersist 120
EOF
  if [[ -n "${SSH_PRIVATE_KEY:-}" ]]; then
    eval "$(ssh-agent -s)" >/dev/null
    trap 'ssh-agent -k >/dev/null' EXIT
    if [[ -f "$SSH_PRIVATE_KEY" ]]; then
      ssh-add -q - <"$SSH_PRIVATE_KEY"
    else
      ssh-add -q - <<<"$SSH_PRIVATE_KEY"
    fi
  fi
  export DOCKER_HOST="ssh://$DEPLOY_HOST"
}

plan
if [[ "$DRY_RUN" == 1 ]]; then
  exec "${compose[@]}" config
fi

"${compose[@]}" config --quiet
connect
echo "deploy: Docker $(docker version --format '{{.Server.Version}}') on $DEPLOY_HOST" >&2
registry_login
"${compose[@]}" pull --quiet
"${compose[@]}" up --detach --wait db redis
"${compose[@]}" run --rm --no-deps web python manage.py migrate --noinput
"${compose[@]}" up --detach --wait --remove-orphans
"${compose[@]}" ps
