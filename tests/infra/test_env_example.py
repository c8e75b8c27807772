"""`.env.example` documents exactly the variables the project reads: a drift test.

Names and defaults come from the code that reads them: the settings modules run
with decouple's `env` replaced by a recorder, gunicorn.conf.py over an empty
environment that notes each lookup. Entry points, shell, compose and Nginx files
are parsed for their reads. Compose must name each variable the image reads, or a
CI/CD variable of that name would never reach the containers.
"""

import os
import re
import runpy
from collections import defaultdict
from pathlib import Path

# Imported before gunicorn.conf.py runs with os.environ replaced.
import gunicorn.glogging
import gunicorn.workers.sync  # noqa: F401
import pytest
import yaml
from decouple import Config, RepositoryEmpty, Undefined, undefined
from django.conf import settings

import config.env
import config.settings.base

ROOT = Path(settings.BASE_DIR)
# A required variable's stand-in while the settings are recorded: a database URL
# dj-database-url parses, and a non-empty key.
REQUIRED = "postgres://required@localhost/required"
# Each finds (name, whether a default follows, the default).
PY_READ = re.compile(r'os\.environ\.(?:get|setdefault)\(\s*"(\w+)"(,\s*"([^"]*)")?')
SHELL_READ = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(:-([^}$]*)\})?")
ENTRY = re.compile(r"^(# )?([A-Z][A-Z0-9_]*)=(.*)$")
# Not for the containers: the image has no .env file, and its layout fixes the
# paths (web's collected static files are a tmpfs; media go to the bucket).
NOT_FOR_CONTAINERS = {"DJANGO_ENV_FILE", "STATIC_ROOT", "MEDIA_ROOT", "MEDIA_URL"}


class Recorder(Config):
    """decouple's Config over an empty environment, noting each read and default."""

    def __init__(self):
        super().__init__(RepositoryEmpty())
        self.reads = defaultdict(list)

    def get(self, option, default=undefined, cast=undefined):
        self.reads[option].append((default, cast))
        return REQUIRED if isinstance(default, Undefined) else self.cast(default, cast)

    def cast(self, value, cast):
        if isinstance(cast, Undefined):
            return value
        return self._cast_boolean(value) if cast is bool else cast(value)

    def shown(self, name, value):
        """A value as this variable is read, comparable with `defaults`."""
        return repr(self.cast(value, self.reads[name][0][1]))


@pytest.fixture(scope="module")
def recorder():
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config.env, "env", recorder)
        # The other modules star-import base, and with it base's `env`.
        patch.setattr(config.settings.base, "env", recorder)
        for module in ("base", "development", "production"):
            runpy.run_path(str(ROOT / "config" / "settings" / f"{module}.py"))
    return recorder


@pytest.fixture(scope="module")
def gunicorn_reads():
    reads = {}

    class Environ(dict):
        def get(self, name, default=None):
            reads[name] = {str(default)}
            return default

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", Environ())
        runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    return reads


def parsed_reads(pattern, paths):
    """{name: defaults} of every read `pattern` finds in the files."""
    reads = defaultdict(set)
    for path in paths:
        for name, given, default in pattern.findall((ROOT / path).read_text()):
            reads[name] |= {default} if given else set()
    return reads


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def nginx_variables():
    """Nginx's template variables a deploy may set: {name: compose's default}."""
    templates = "".join(p.read_text() for p in ROOT.glob("nginx/templates/*"))
    compose_reads = parsed_reads(SHELL_READ, ["docker-compose.yml"])
    return {
        name: compose_reads[name]
        for name, value in compose()["nginx"]["environment"].items()
        if str(value).startswith(f"${{{name}") and f"${{{name}}}" in templates
    }


@pytest.fixture(scope="module")
def defaults(recorder, gunicorn_reads):
    """{name: the code's defaults (as read)}; an empty set: required."""
    found = defaultdict(set)
    for name, reads in recorder.reads.items():
        found[name] = {
            repr(recorder.cast(d, c)) for d, c in reads if d is not undefined
        }
    entry_points = [*ROOT.glob("config/*.py"), "manage.py", "docker/healthcheck.py"]
    for reads in [
        gunicorn_reads,
        parsed_reads(PY_READ, entry_points),
        parsed_reads(SHELL_READ, ["entrypoint.sh", "docker-compose.yml"]),
    ]:
        for name, values in reads.items():
            # What the settings read, their defaults decide (compose's are its own).
            if name not in recorder.reads:
                found[name] |= values
    return found


def entries():
    """(name, value, commented out, comment) for each entry of .env.example."""
    comment = ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := ENTRY.match(line):
            yield match[2], match[3], bool(match[1]), comment
        else:  # grouped entries share the comment above the group
            comment = line if line.startswith("# ") else ""


def test_every_variable_read_is_documented_and_the_reverse(defaults):
    documented = {name for name, *_ in entries()}
    missing, unread = set(defaults) - documented, documented - set(defaults)
    assert not missing, f"add these to .env.example: {sorted(missing)}"
    assert not unread, f"nothing reads these .env.example entries: {sorted(unread)}"


def test_each_entry_shows_the_default_or_sets_what_differs(recorder, defaults):
    for name, value, commented, comment in entries():
        assert comment, f"no comment above {name}"
        shown = recorder.shown(name, value) if name in recorder.reads else value
        secret = comment.startswith("# [secret")
        if commented:
            assert shown in defaults[name], f"{name}: the code's default is not {value}"
        else:
            # A default set again here would be pinned in every .env copied from it.
            assert secret or shown not in defaults[name], f"comment out {name}"
        # DATABASE_URL's example carries a placeholder password compose overrides.
        assert not secret or name == "DATABASE_URL" or not value, f"{name}: no value"


def test_compose_names_every_variable_the_image_reads(recorder, gunicorn_reads):
    services = compose()
    passed = {**services["worker"]["environment"], **services["web"]["environment"]}
    shell = parsed_reads(SHELL_READ, ["entrypoint.sh"])
    read = set(recorder.reads) | set(gunicorn_reads) | set(shell)
    missing = read - NOT_FOR_CONTAINERS - set(passed)
    assert not missing, f"name these in docker-compose.yml: {sorted(missing)}"
    unread = {name for name, value in passed.items() if value is None} - read
    assert not unread, f"nothing in the image reads these: {sorted(unread)}"


def test_nginx_accepts_every_body_the_app_accepts(recorder):
    (limit,) = nginx_variables()["NGINX_CLIENT_MAX_BODY_SIZE"]
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", limit.lower()).groups()
    nginx_bytes = int(number) * 1024 ** " kmg".index(unit or " ")
    # An upload the API would accept must not be cut off by Nginx's 413 first.
    for name in ("UPLOAD_MAX_BYTES", "DATA_UPLOAD_MAX_MEMORY_SIZE"):
        ((default, _),) = recorder.reads[name]
        assert default < nginx_bytes, name


def test_prometheus_scrapes_the_apps_metrics_port(recorder):
    # docker/prometheus/start-prometheus puts it in the scrape configuration.
    passed = compose()["prometheus"]["environment"]["METRICS_PORT"]
    ((default, _),) = recorder.reads["METRICS_PORT"]
    assert passed == f"${{METRICS_PORT:-{default}}}"


def test_nginx_checks_its_limit_against_the_apps_upload_default(recorder):
    # nginx/check-limits.sh compares with UPLOAD_MAX_BYTES; compose repeats its
    # default for Nginx, which cannot read the application's settings.
    passed = compose()["nginx"]["environment"]["NGINX_UPLOAD_MAX_BYTES"]
    ((default, _),) = recorder.reads["UPLOAD_MAX_BYTES"]
    assert passed == f"${{UPLOAD_MAX_BYTES:-{default}}}"
