"""docker-compose.yml's defaults agree where one limit bounds another."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def compose_default(environment, name):
    """The value `${NAME:-default}` falls back to."""
    return re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(environment[name]))[1]


def nginx_bytes(size):
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    return int(number) * UNITS[unit]


def test_nginx_accepts_every_body_the_app_accepts():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    nginx_limit = nginx_bytes(
        compose_default(services["nginx"]["environment"], "NGINX_CLIENT_MAX_BODY_SIZE")
    )
    app = services["web"]["environment"]
    # An upload the API would accept must not be cut off by Nginx's 413 first.
    for name in ("UPLOAD_MAX_BYTES", "DATA_UPLOAD_MAX_MEMORY_SIZE"):
        assert int(compose_default(app, name)) < nginx_limit, name
