# wrk in a container on the stack's network, so the benchmark can load Nginx the
# way another service would, without Docker's port publishing in the way. Built
# from the local Debian image (no registry here); the scenario script is mounted.
FROM debian:trixie-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends wrk=4.* \
    && rm -rf /var/lib/apt/lists/*
USER 65534:65534
ENTRYPOINT ["wrk"]
