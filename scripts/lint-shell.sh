#!/usr/bin/env bash
# Runs shellcheck on every shell script in the project: files ending in .sh and
# extension-less files whose first line is a sh/bash shebang (.ci/run, ...).
# Usage: scripts/lint-shell.sh [extra shellcheck options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts=()
while IFS= read -r -d '' file; do
  if [[ "$file" == *.sh ]] || head -n 1 "$file" | grep -Eq '^#!.*/(env +)?(ba)?sh( |$)'; then
    scripts+=("$file")
  fi
done < <(
  find . \( -name .git -o -name node_modules -o -name .venv -o -name .gitlab-ci-local \
    -o -name .cache -o -name __pycache__ \) -prune -o -type f -print0 | sort -z
)

if ((${#scripts[@]} == 0)); then
  echo "lint-shell: no shell scripts found" >&2
  exit 1
fi
printf 'shellcheck %s\n' "${scripts[@]}"
shellcheck --external-sources "$@" "${scripts[@]}"
