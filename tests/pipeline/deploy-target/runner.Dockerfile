# A stand-in for the GitLab jobs' docker:27 / docker:27-cli images, for
# tests/pipeline/test_deploy_over_ssh.py: bash, the docker CLI with its buildx and
# compose plugins, and the ssh client. The test mounts the engine's socket (in place
# of the docker:dind service) and runs deploy/build.sh, release.sh and deploy.sh in it.
FROM debian:trixie-slim
# Test-only image; Debian stable replaces versions on security updates, so no pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        docker-cli docker-buildx docker-compose openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
