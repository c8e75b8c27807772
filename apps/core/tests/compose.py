"""Reads docker-compose.yml for the tests that tie its defaults to the code's."""

import re
from pathlib import Path

import yaml
from django.conf import settings


def services():
    path = Path(settings.BASE_DIR) / "docker-compose.yml"
    return yaml.safe_load(path.read_text())["services"]


def default(environment, name):
    """The value `${NAME:-default}` falls back to."""
    return re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(environment[name]))[1]
