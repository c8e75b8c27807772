"""Reads deploy-specific values: the process env first, then `.env`, then defaults.

This is python-decouple's own lookup order. The `.env` file is optional; its path can
be moved with DJANGO_ENV_FILE (the tests point it at nothing to prove that a missing
secret stops start-up).

A secret is read through `secret()`, which also accepts `<NAME>_FILE`, the path of a
file holding the value: the convention of the official images (postgres, redis), so
Docker or Kubernetes secrets mounted as files never appear in `docker inspect`.
"""

import os
from pathlib import Path

from decouple import Config, Csv, RepositoryEmpty, RepositoryEnv, undefined
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# A relative path is taken from the project directory.
_env_file = BASE_DIR / os.environ.get("DJANGO_ENV_FILE", ".env")
env = Config(
    RepositoryEnv(str(_env_file)) if _env_file.is_file() else RepositoryEmpty()
)


def _lookup(name):
    """A variable's raw value from the process env or `.env`; None when unset or empty.

    Empty counts as unset so that a deploy file can blank out a variable a base file
    sets (compose's `!reset` does not reach into merged mappings). It reads around
    `env` on purpose: `<NAME>_FILE` is a form of the secret's own variable, not a
    setting of its own, so the settings drift test (which records every `env` call)
    does not ask for it to be documented separately.
    """
    if name in os.environ:
        return os.environ[name] or None
    if name in env.repository:
        return env.repository[name] or None
    return None


def secret(name, default=undefined, cast=undefined):
    """A secret's value: the file `<NAME>_FILE` names when set, else `env(name)`.

    Setting both is an error rather than a precedence rule, so a stale variable left
    beside a rotated secret file cannot win silently. Trailing newlines are dropped,
    as the official images' `file_env` does.
    """
    path = _lookup(f"{name}_FILE")
    if path is None:
        return env(name, default=default, cast=cast)
    if _lookup(name) is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    try:
        value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE={path} cannot be read: {error.strerror}."
        ) from error
    return value if cast is undefined else cast(value)


__all__ = ("BASE_DIR", "Csv", "env", "secret")
