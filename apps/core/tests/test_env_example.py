"""`.env.example` documents exactly the variables the project reads: a drift test.

The variables and their defaults come from the code that reads them: the settings
modules run with decouple's `env` replaced by a recorder, gunicorn.conf.py with an
empty environment that notes each lookup. Shell, compose and Nginx files have no
interpreter to ask, so their `${NAME:-default}` reads are parsed. Compose must
pass each variable the application reads into its containers, or a CI/CD variable
of that name would never arrive.
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
SETTINGS = ("base", "development", "production")
# A required variable's stand-in while the settings are recorded: a database URL
# dj-database-url parses, and a non-empty key.
REQUIRED = "postgres://required@localhost/required"
# Entry points outside the settings that read the process environment.
ENTRY_POINTS = [
    "manage.py",
    "config/env.py",
    "config/wsgi.py",
    "config/asgi.py",
    "config/celery.py",
    "docker/healthcheck.py",
]
PY_READ = re.compile(r'os\.environ\.(?:get|setdefault)\(\s*"(\w+)"(?:,\s*"([^"]*)")?')
SHELL_READ = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(?::-([^}$]*)\})?")
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


class RecordingEnviron(dict):
    """An empty os.environ for gunicorn.conf.py, noting each lookup's default."""

    def __init__(self):
        super().__init__()
        self.reads = {}

    def get(self, name, default=None):
        self.reads[name] = str(default)
        return default


@pytest.fixture(scope="module")
def recorder():
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config.env, "env", recorder)
        # The other modules star-import base, and with it base's `env`.
        patch.setattr(config.settings.base, "env", recorder)
        for module in SETTINGS:
            runpy.run_path(str(ROOT / "config" / "settings" / f"{module}.py"))
    return recorder


@pytest.fixture(scope="module")
def gunicorn_reads():
    environ = RecordingEnviron()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", environ)
        runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    return environ.reads


def parsed_reads(pattern, paths):
    """{name: defaults} of every read `pattern` finds in the files."""
    reads = defaultdict(set)
    for path in paths:
        for name, default in pattern.findall((ROOT / path).read_text()):
            reads[name] |= {default} if default else set()
    return reads


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def nginx_variables():
    """Nginx's template variables compose leaves to the image, with their defaults."""
    dockerfile = (ROOT / "nginx" / "Dockerfile").read_text()
    defaults = dict(re.findall(r"(NGINX_\w+)=(\"\"|\S+)", dockerfile))
    own = {k for k, v in compose()["services"]["nginx"]["environment"].items() if v}
    return {
        name: {defaults[name].strip('"')}
        for name in set(defaults) - own
        for template in (ROOT / "nginx" / "templates").glob("*.template")
        if f"${{{name}}}" in template.read_text()
    }


@pytest.fixture(scope="module")
def defaults(recorder, gunicorn_reads):
    """{name: the code's defaults (cast as read)}; an empty set: required."""
    found = defaultdict(set)
    for name, reads in recorder.reads.items():
        found[name] |= {
            repr(recorder.cast(default, cast))
            for default, cast in reads
            if not isinstance(default, Undefined)
        }
    others = [
        {name: {default} for name, default in gunicorn_reads.items()},
        parsed_reads(PY_READ, ENTRY_POINTS),
        parsed_reads(SHELL_READ, ["entrypoint.sh", "docker-compose.yml"]),
        nginx_variables(),
    ]
    for reads in others:
        for name, values in reads.items():
            # What the settings read, their defaults decide (compose's are its own).
            if name not in recorder.reads:
                found[name] |= values
    return found


def entries():
    """(name, value, commented, comment) for each variable .env.example lists."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    comment = ""
    for line in lines:
        if match := ENTRY.match(line):
            yield match[2], match[3], bool(match[1]), comment
        elif line.startswith("# "):
            comment = line
        elif not line:
            comment = ""


def documented_default(recorder, name, value):
    """`value` as the code would read it, comparable with `defaults`."""
    reads = recorder.reads.get(name)
    return repr(recorder.cast(value, reads[0][1])) if reads else value


def test_every_variable_read_is_documented_and_the_reverse(defaults):
    documented = {name for name, *_ in entries()}
    missing, unread = set(defaults) - documented, documented - set(defaults)
    assert not missing, f"add these to .env.example: {sorted(missing)}"
    assert not unread, f"nothing reads these .env.example entries: {sorted(unread)}"


def test_every_entry_has_a_comment():
    for name, _, _, comment in entries():
        assert comment, f"no comment above {name}"


def test_a_commented_out_entry_shows_the_codes_default(recorder, defaults):
    for name, value, commented, _ in entries():
        if commented:
            shown = documented_default(recorder, name, value)
            assert shown in defaults[name], f"{name}: the code's default is not {value}"


def test_an_entry_that_is_set_differs_from_the_default_or_is_required(
    recorder, defaults
):
    # Setting a default again in .env would pin it there for every copy of the file.
    for name, value, commented, comment in entries():
        if not commented:
            shown = documented_default(recorder, name, value)
            generated = comment.startswith("# [secret")
            assert generated or shown not in defaults[name], f"comment out {name}"


def test_secrets_are_blank():
    for name, value, _, comment in entries():
        # DATABASE_URL's example carries a placeholder password compose overrides.
        if comment.startswith("# [secret") and name != "DATABASE_URL":
            assert value == "", f"{name} must have no value"


def test_compose_passes_every_application_variable_to_its_containers(
    recorder, gunicorn_reads
):
    services = compose()["services"]
    passed = {**services["worker"]["environment"], **services["web"]["environment"]}
    shell = parsed_reads(SHELL_READ, ["entrypoint.sh"])
    read = set(recorder.reads) | set(gunicorn_reads) | set(shell)
    missing = read - NOT_FOR_CONTAINERS - set(passed)
    assert not missing, f"name these in docker-compose.yml: {sorted(missing)}"
    unread = {name for name, value in passed.items() if value is None} - read
    assert not unread, f"nothing in the image reads these: {sorted(unread)}"


def nginx_bytes(size):
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]


def test_nginx_accepts_every_body_the_app_accepts(recorder):
    (nginx_limit,) = nginx_variables()["NGINX_CLIENT_MAX_BODY_SIZE"]
    # An upload the API would accept must not be cut off by Nginx's 413 first.
    for name in ("UPLOAD_MAX_BYTES", "DATA_UPLOAD_MAX_MEMORY_SIZE"):
        ((default, _),) = recorder.reads[name]
        assert default < nginx_bytes(nginx_limit), name
