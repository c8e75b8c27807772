#!/usr/bin/env bash
# Shrinks the runtime virtualenv by deleting files the application never loads:
#   - gettext sources (*.po): Django reads only the compiled catalogs (*.mo);
#   - packages' own test suites (directories named "tests");
#   - botocore's API models for every AWS service except S3 (django-storages) and
#     the services botocore's credential providers call (STS, SSO, sign-in).
# Then it byte-compiles what is left with unchecked-hash pycs: the image is
# immutable, and a non-root process could not write a missing pyc, so every start
# would otherwise compile the whole stack in memory again (about 4 s per process).
set -euo pipefail

venv="${1:?usage: trim-venv.sh VENV_DIR}"
site_packages=("${venv}"/lib/python3*/site-packages)
site="${site_packages[0]}"
[[ -d "${site}/botocore/data" ]] || { echo "no site-packages under ${venv}" >&2; exit 1; }

find "${site}" -name '*.po' -type f -delete
find "${site}" -depth -type d -name tests -exec rm -rf {} +

keep_services='^(s3|sts|sso|sso-oidc|signin)$'
find "${site}/botocore/data" -mindepth 1 -maxdepth 1 -type d -print0 |
  while IFS= read -r -d '' service_dir; do
    if [[ ! "$(basename "${service_dir}")" =~ ${keep_services} ]]; then
      rm -rf "${service_dir}"
    fi
  done

rm -f "${venv}"/bin/Activate.ps1 "${venv}"/bin/activate.csh "${venv}"/bin/activate.fish
"${venv}/bin/python" -m compileall -q -j 0 --invalidation-mode unchecked-hash "${site}"
