"""Settings for the test suite: real PostgreSQL and Redis, fast hashing, no manifest.

Secrets here are throwaway values for tests only; the services still come from
DATABASE_URL and REDIS_URL, which the test runner (compose or CI) provides.
"""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-not-for-any-deployment-0123456789"
)
os.environ.setdefault(
    "JWT_SIGNING_KEY", "test-only-jwt-signing-key-not-for-any-deployment"
)

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The manifest needs collectstatic first; the container tests check the real one.
STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Serve static files through finders: the test run has no collectstatic output.
WHITENOISE_AUTOREFRESH = True
