"""docker-compose.yml's defaults agree where one limit bounds another."""

import re

from apps.core.tests import compose

UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_bytes(size):
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    return int(number) * UNITS[unit]


def test_nginx_accepts_every_body_the_app_accepts():
    services = compose.services()
    nginx_limit = nginx_bytes(
        compose.default(services["nginx"]["environment"], "NGINX_CLIENT_MAX_BODY_SIZE")
    )
    app = services["web"]["environment"]
    # An upload the API would accept must not be cut off by Nginx's 413 first.
    for name in ("UPLOAD_MAX_BYTES", "DATA_UPLOAD_MAX_MEMORY_SIZE"):
        assert int(compose.default(app, name)) < nginx_limit, name
