#!/usr/bin/env bash
# Compiles requirements/*.in into hash-pinned *.txt with pip-tools, inside the same
# python:3.13-slim image production runs on, so the pins match the production interpreter.
# Run through `make requirements`; pass --upgrade to move pins forward.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
docker run --rm -v "$PWD:/src" -w /src/requirements -e PIP_DISABLE_PIP_VERSION_CHECK=1 \
  python:3.13-slim sh -c "
    pip install --quiet --root-user-action=ignore pip-tools >/dev/null &&
    for name in base production development s3; do
      pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
        --no-emit-index-url $* --output-file \"\$name.txt\" \"\$name.in\"
    done
    chown $(id -u):$(id -g) ./*.txt"
