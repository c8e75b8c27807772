#!/usr/bin/env bash
# Fails when a lock file pins a package version with a known vulnerability, by
# PyPI's advisory data (pip-audit's default service). Every requirements/*.txt
# is checked as pinned, hashes included; nothing is installed. Run by `make lint`
# and, strictly, by the GitLab `audit` job.
#
# A package the advisory service cannot answer for is reported, not fatal, so an
# index that serves no per-version JSON (a mirror, a proxy) does not stop the lint;
# a run that audited nothing says so on stderr in capitals. With PIP_AUDIT_STRICT=1
# (the GitLab job) any unanswered pin is fatal.
#
# pip-audit reads PIP_AUDIT_VULNERABILITY_SERVICE and PIP_AUDIT_OSV_URL itself:
# `osv` and an OSV API's URL audit against that service instead of PyPI
# (tests/pipeline/test_supply_chain.py runs one on 127.0.0.1).
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
  # pip-audit's own summary ("No known vulnerabilities found") counts skipped pins
  # as clean; the summary below counts them apart.
  grep -v "redundant\|encouraged\|pip-compile\|No known vulnerabilities" \
    "${report}.log" >&2 || true
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
print(f"pip-audit: {audited} pins audited, {skipped} not answered by the "
      f"advisory service, {len(vulnerable)} known vulnerabilities")
for line in vulnerable:
    print(f"  {line}")
if skipped and not audited:
    print(
        f"pip-audit: NOTHING WAS AUDITED: the advisory service answered for none of "
        f"the {skipped} pins (an index or proxy without PyPI's per-version JSON API "
        "answers 404), so their vulnerabilities are unknown. The GitLab `audit` job "
        "runs with PIP_AUDIT_STRICT=1, which fails on any pin not audited.",
        file=sys.stderr,
    )
elif skipped:
    print(f"pip-audit: {skipped} pins were NOT audited", file=sys.stderr)
sys.exit(1 if vulnerable or (strict and skipped) else 0)
PY
exit "${status}"
