#!/usr/bin/env bash
# Builds each shipped image once and pushes it tagged with the commit SHA.
#
# Layers are reused from the image last pushed for this branch, or else for the
# default branch: BuildKit's inline cache (BUILDKIT_INLINE_CACHE=1) stores the cache
# metadata in the pushed image, so `--cache-from <image>` needs no separate pull.
# The branch tag ($CI_COMMIT_REF_SLUG) is only that cache source; deploys and
# releases always name the immutable SHA tag.
#
# Also writes the application image's CycloneDX SBOM to reports/sbom/.
#
# Usage (the GitLab `build` job): deploy/build.sh
#   BUILD_DRY_RUN=1 deploy/build.sh   prints the docker commands instead of running them
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
DRY_RUN="${BUILD_DRY_RUN:-0}"

: "${CI_REGISTRY_IMAGE:?set by GitLab: the registry repository of the project}"
: "${CI_COMMIT_SHA:?set by GitLab: the commit being built}"
branch_tag="${CI_COMMIT_REF_SLUG:-$(ref_slug "${CI_COMMIT_REF_NAME:-local}")}"
default_tag="$(ref_slug "${CI_DEFAULT_BRANCH:-main}")"

build_and_push() {
  local name="$1" dockerfile="$2" context="$3" target="$4" repository
  repository="$(image_repository "$name")"
  local args=(
    --file "$dockerfile"
    --cache-from "$repository:$branch_tag"
    --cache-from "$repository:$default_tag"
    --build-arg BUILDKIT_INLINE_CACHE=1
    --label "org.opencontainers.image.revision=$CI_COMMIT_SHA"
    --tag "$repository:$CI_COMMIT_SHA"
    --tag "$repository:$branch_tag"
  )
  if [[ "$target" != - ]]; then
    args+=(--target "$target")
  fi
  if [[ -n "${CI_PROJECT_URL:-}" ]]; then
    args+=(--label "org.opencontainers.image.source=$CI_PROJECT_URL")
  fi
  run docker build "${args[@]}" "$context"
  run docker push "$repository:$CI_COMMIT_SHA"
  run docker push "$repository:$branch_tag"
}

# The CycloneDX SBOM of the application image, from the Dockerfile's sbom stage
# (which reads the runtime stage just built, from the build cache), kept as the
# job's artifact: reports/sbom/sbom.cdx.json.
write_sbom() {
  run docker build --file Dockerfile --target sbom \
    --cache-from "$(image_repository app):$branch_tag" \
    --output type=local,dest=reports/sbom .
}

export DOCKER_BUILDKIT=1
registry_login
while read -r name dockerfile context target <&3; do
  build_and_push "$name" "$dockerfile" "$context" "$target"
done 3< <(shipped_images)
write_sbom
