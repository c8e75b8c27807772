# A stand-in deploy target for tests/pipeline/test_deploy_over_ssh.py: an SSH server
# with the docker CLI, driving the engine whose socket is mounted at
# /var/run/docker.sock. That is all deploy/deploy.sh asks of a server.
FROM debian:trixie-slim
# Test-only image; Debian stable replaces versions on security updates, so no pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssh-server docker-cli \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /run/sshd /root/.ssh \
    && chmod 700 /root/.ssh
# The script is committed executable; its mode survives COPY.
COPY start-sshd.sh /usr/local/bin/start-sshd.sh
EXPOSE 22
CMD ["/usr/local/bin/start-sshd.sh"]
