# gitlab-ci-local's helper image: it copies caches and artifacts out of the job
# volumes with rsync, which the machine's stand-in helper (plain debian) lacks, so
# `cache:` and `artifacts:` would silently do nothing. Built by `make test-pipeline`.
FROM debian:trixie-slim
# Debian stable replaces a package version on every security update, so a pin would
# break the build; the helper only copies files for local pipeline runs.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends rsync \
    && rm -rf /var/lib/apt/lists/*
