#!/usr/bin/env bash
# Prints the Swarm stack file: ../docker-compose.yml, compose.deploy.yml and
# stack.yml merged by `docker compose config`, since `docker stack deploy` does not
# understand compose's merge tags. The secrets are Docker secrets (stack.yml); the
# placeholders below only satisfy the base file's required-variable checks and are
# removed by stack.yml's !reset before anything is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

placeholder=unused-see-docker-secrets
# compose prints CPU limits as numbers, published ports as strings and a top-level
# project name; the stack schema wants strings, integers and no name (the stack's
# name is `docker stack deploy`'s argument).
SECRET_KEY="${placeholder}" JWT_SIGNING_KEY="${placeholder}" \
  POSTGRES_PASSWORD="${placeholder}" \
  docker compose --project-name "${STACK_NAME:-drf}" \
  --file docker-compose.yml --file deploy/compose.deploy.yml --file deploy/stack.yml \
  config --no-path-resolution "$@" \
  | sed -E -e '/^name: /d' -e 's/^( +cpus: )([0-9.]+)$/\1"\2"/' \
    -e 's/^( +published: )"([0-9]+)"$/\1\2/'
