#!/usr/bin/env bash
# Starts the stand-in registry with one account, REGISTRY_USER / REGISTRY_PASSWORD.
set -euo pipefail
: "${REGISTRY_USER:?}" "${REGISTRY_PASSWORD:?}"
htpasswd -Bbc /etc/docker/registry/htpasswd "$REGISTRY_USER" "$REGISTRY_PASSWORD" 2>/dev/null
exec docker-registry serve /etc/docker/registry/config.yml
