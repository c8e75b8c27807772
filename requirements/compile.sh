#!/usr/bin/env bash
# Compiles requirements/*.in into hash-pinned *.txt with pip-tools. Run through
# `make requirements`; extra arguments (e.g. --upgrade) go to pip-compile.
#  - base, production, development, s3, sbom: inside python:3.13-slim, the interpreter
#    the images run, so the pins are true for production;
#  - host: with the host's python3, for the tools run outside containers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
compile='pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url'
# The pip-tools the development lock pins: the newest one needs a newer pip than
# the image's own, which pip cannot replace where Debian installed it.
pip_tools="$(grep -o '^pip-tools==[^ ]*' development.txt)"

docker run --rm -v "$PWD:/src" -w /src -e PIP_DISABLE_PIP_VERSION_CHECK=1 \
  python:3.13-slim sh -c "
    set -e
    pip install --quiet --root-user-action=ignore '${pip_tools}' >/dev/null &&
    for name in base production development s3 sbom; do
      $compile $* --output-file \"\$name.txt\" \"\$name.in\"
    done
    chown $(id -u):$(id -g) ./*.txt"

tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet pip-tools
# shellcheck disable=SC2086 # $compile is a list of words
"$tools/bin/"$compile "$@" --output-file host.txt host.in
