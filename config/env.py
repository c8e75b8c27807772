"""Reads deploy-specific values: the process env first, then `.env`, then defaults.

This is python-decouple's own lookup order. The `.env` file is optional; its path can
be moved with DJANGO_ENV_FILE (the tests point it at nothing to prove that a missing
secret stops start-up).
"""

import os
from pathlib import Path

from decouple import Config, Csv, RepositoryEmpty, RepositoryEnv

BASE_DIR = Path(__file__).resolve().parent.parent

# A relative path is taken from the project directory.
_env_file = BASE_DIR / os.environ.get("DJANGO_ENV_FILE", ".env")
env = Config(
    RepositoryEnv(str(_env_file)) if _env_file.is_file() else RepositoryEmpty()
)

__all__ = ("BASE_DIR", "Csv", "env")
