#!/usr/bin/env bash
# Fails when a lock file pins a package version with a known vulnerability, by
# PyPI's advisory data (pip-audit's default service). Every requirements/*.txt
# is checked as pinned, hashes included; nothing is installed. Run by `make lint`
# and the GitLab lint job.
#
# A package PyPI cannot answer for is reported, not fatal, so an index that serves
# no per-version JSON (a mirror, a proxy) does not stop the lint; with
# PIP_AUDIT_STRICT=1 it is fatal, and so is a run that audited nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

reports="$(mktemp -d)"
trap 'rm -rf "${reports}"' EXIT

status=0
for lock in requirements/*.txt; do
  report="${reports}/$(basename "${lock}" .txt).json"
  # Exit 1 means vulnerabilities (or, with --strict, an unauditable package).
  pip-audit --requirement "${lock}" --require-hashes --disable-pip \
    --progress-spinner off --format json --output "${report}" 2>"${report}.log" \
    || status=1
  grep -v "redundant\|encouraged\|pip-compile" "${report}.log" >&2 || true
done

python3 - "${reports}" "${PIP_AUDIT_STRICT:-0}" <<'PY' || status=1
import json, pathlib, sys

reports, strict = pathlib.Path(sys.argv[1]), sys.argv[2] == "1"
audited = skipped = 0
vulnerable = []
for report in sorted(reports.glob("*.json")):
    for dep in json.loads(report.read_text())["dependencies"]:
        if "skip_reason" in dep:
            skipped += 1
            continue
        audited += 1
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln["fix_versions"]) or "none yet"
            vulnerable.append(
                f"{report.stem}.txt: {dep['name']} {dep['version']}: "
                f"{vuln['id']} (fixed in {fixed})"
            )
print(f"pip-audit: {audited} pins audited, {skipped} not answered by the index, "
      f"{len(vulnerable)} known vulnerabilities")
for line in vulnerable:
    print(f"  {line}")
if skipped and not audited:
    print("pip-audit: the advisory data was unreachable; nothing was audited",
          file=sys.stderr)
sys.exit(1 if vulnerable or (strict and skipped) else 0)
PY
exit "${status}"
