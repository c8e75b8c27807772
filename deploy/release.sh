#!/usr/bin/env bash
# Releases a tested build: points the tag vX.Y.Z at the images built for its commit.
#
# Nothing is rebuilt. `docker buildx imagetools create` writes a new tag for the
# existing manifest in the registry, so the release runs the very bytes the build
# job pushed and the test stage vetted. A release tag on a commit that was never
# built (it was not on the default branch or develop) fails here, loudly.
#
# Usage (the GitLab `release` job, on a tag pipeline): deploy/release.sh
#   RELEASE_DRY_RUN=1 deploy/release.sh   prints the docker commands instead of running them
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
DRY_RUN="${RELEASE_DRY_RUN:-0}"

: "${CI_REGISTRY_IMAGE:?set by GitLab: the registry repository of the project}"
: "${CI_COMMIT_SHA:?set by GitLab: the commit the tag points at}"
: "${CI_COMMIT_TAG:?a release runs on a tag pipeline}"
if [[ ! "$CI_COMMIT_TAG" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "release: tag '$CI_COMMIT_TAG' is not of the form vX.Y.Z" >&2
  exit 2
fi

retag() {
  local repository
  repository="$(image_repository "$1")"
  if [[ "$DRY_RUN" != 1 ]] &&
    ! docker buildx imagetools inspect "$repository:$CI_COMMIT_SHA" >/dev/null; then
    echo "release: $repository:$CI_COMMIT_SHA does not exist; was $CI_COMMIT_SHA" \
      "built on the default branch or develop?" >&2
    exit 1
  fi
  run docker buildx imagetools create \
    --tag "$repository:$CI_COMMIT_TAG" "$repository:$CI_COMMIT_SHA"
}

registry_login
while read -r name _ <&3; do
  retag "$name"
done 3< <(shipped_images)
