#!/bin/sh
# Stops the container, naming the variables, when Nginx would refuse uploads the
# API accepts: NGINX_CLIENT_MAX_BODY_SIZE (client_max_body_size, whole request
# bodies) must exceed NGINX_UPLOAD_MAX_BYTES (the application's UPLOAD_MAX_BYTES,
# one image, which compose passes in). The base image's entrypoint runs every
# /docker-entrypoint.d/*.sh before Nginx starts and stops when one fails.
set -eu

# An Nginx size (1024, 10k, 10m, 1g) in bytes.
to_bytes() {
  case "$1" in
    *[kK]) echo $((${1%?} * 1024)) ;;
    *[mM]) echo $((${1%?} * 1024 * 1024)) ;;
    *[gG]) echo $((${1%?} * 1024 * 1024 * 1024)) ;;
    *) echo $(($1)) ;;
  esac
}

body="${NGINX_CLIENT_MAX_BODY_SIZE:?NGINX_CLIENT_MAX_BODY_SIZE is required}"
upload="${NGINX_UPLOAD_MAX_BYTES:-}"
if ! printf '%s' "$body" | grep -Eq '^[0-9]+[kKmMgG]?$'; then
  echo "check-limits: NGINX_CLIENT_MAX_BODY_SIZE=$body is not an Nginx size (10m, 512k, 1048576)" >&2
  exit 1
fi
if [ -z "$upload" ]; then
  exit 0
fi
if ! printf '%s' "$upload" | grep -Eq '^[0-9]+$'; then
  echo "check-limits: UPLOAD_MAX_BYTES=$upload is not a number of bytes" >&2
  exit 1
fi
if [ "$(to_bytes "$body")" -le "$upload" ]; then
  echo "check-limits: NGINX_CLIENT_MAX_BODY_SIZE=$body is not above UPLOAD_MAX_BYTES=$upload: Nginx would refuse (413) images the API accepts; raise NGINX_CLIENT_MAX_BODY_SIZE or lower UPLOAD_MAX_BYTES" >&2
  exit 1
fi
