# A stand-in container registry for tests/pipeline/test_deploy_over_ssh.py (this
# machine reaches none): Debian's build of the CNCF distribution registry, with
# basic auth for REGISTRY_USER / REGISTRY_PASSWORD, as GitLab's registry has auth.
FROM debian:trixie-slim
# Test-only image; Debian stable replaces versions on security updates, so no pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends docker-registry apache2-utils \
    && rm -rf /var/lib/apt/lists/*
# The script is committed executable; its mode survives COPY.
COPY start-registry.sh /usr/local/bin/start-registry.sh
EXPOSE 5000
CMD ["/usr/local/bin/start-registry.sh"]
