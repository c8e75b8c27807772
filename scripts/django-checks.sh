#!/usr/bin/env bash
# The Django checks of the pre-commit hooks (so of `make lint` and the CI lint job),
# needing no database, no Redis and no .env:
#   migrations   makemigrations --check: every model change has its migration;
#   deploy       check --deploy on the production settings, warnings failing it;
#   env-drift    tests/infra/test_env_example.py: .env.example, the settings
#                and compose's env_file name the same variables, same defaults.
# Usage: scripts/django-checks.sh migrations|deploy|env-drift
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

random_secret() {
  python -c 'import secrets; print(secrets.token_urlsafe(64))'
}

# Production-like values, generated per run: the secrets are required and
# check --deploy judges their length. No .env is read (DJANGO_ENV_FILE), so a
# developer's local values (DEBUG=True, say) cannot change the verdict.
export DJANGO_ENV_FILE=/dev/null
export DJANGO_SETTINGS_MODULE=config.settings.production
export DATABASE_URL=postgres://lint:lint@db.invalid:5432/lint
export ALLOWED_HOSTS=app.example.com
SECRET_KEY="$(random_secret)"
JWT_SIGNING_KEY="$(random_secret)"
export SECRET_KEY JWT_SIGNING_KEY

case "${1:-}" in
  migrations)
    # No database is reachable, so makemigrations skips its history check and
    # warns that it did; only the missing-migration verdict matters here.
    exec python -W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
      manage.py makemigrations --check --dry-run
    ;;
  deploy)
    exec python manage.py check --deploy --fail-level WARNING
    ;;
  env-drift)
    # The root conftest's fixtures need Redis; this test uses none of them.
    exec env DJANGO_SETTINGS_MODULE=config.settings.test python -m pytest --quiet \
      --noconftest tests/infra/test_env_example.py
    ;;
  *)
    echo "usage: $0 migrations|deploy|env-drift" >&2
    exit 64
    ;;
esac
