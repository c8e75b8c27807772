# shellcheck shell=bash
# Helpers shared by deploy/build.sh, deploy/release.sh and deploy/deploy.sh.
# Sourced, never run: the caller sets `set -euo pipefail` and DRY_RUN (0 or 1).

# Prints the images this project ships, one a line:
#   <name> <Dockerfile> <build context> <build target, or - for the last stage>
# The application image is $CI_REGISTRY_IMAGE itself; the others live under it.
# postgres is PostgreSQL 17 with pgBackRest, for db and the backup sidecar.
shipped_images() {
  printf '%s\n' \
    "app Dockerfile . runtime" \
    "nginx nginx/Dockerfile nginx -" \
    "postgres docker/postgres/Dockerfile docker/postgres -"
}

# Prints the registry repository an image NAME is pushed to.
image_repository() {
  local name="$1"
  if [[ "$name" == app ]]; then
    printf '%s\n' "$CI_REGISTRY_IMAGE"
  else
    printf '%s/%s\n' "$CI_REGISTRY_IMAGE" "$name"
  fi
}

# Runs a command, or only prints it (shell-quoted, prefixed with "+ ") on a dry run.
run() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Logs in to the GitLab container registry with the job's own credentials. The
# password goes through stdin so that it never appears in a process listing.
registry_login() {
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    printf '+ docker login --username %q --password-stdin %q\n' \
      "${CI_REGISTRY_USER:-}" "${CI_REGISTRY:-}"
    return
  fi
  : "${CI_REGISTRY:?CI_REGISTRY is set by GitLab}"
  : "${CI_REGISTRY_USER:?CI_REGISTRY_USER is set by GitLab}"
  : "${CI_REGISTRY_PASSWORD:?CI_REGISTRY_PASSWORD is set by GitLab}"
  printf '%s' "$CI_REGISTRY_PASSWORD" |
    docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
}

# Turns a git ref name into a string usable as an image tag (as CI_COMMIT_REF_SLUG).
ref_slug() {
  local slug
  slug="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9' '-')"
  slug="${slug:0:63}"
  slug="${slug#"${slug%%[!-]*}"}"
  printf '%s\n' "${slug%"${slug##*[!-]}"}"
}
