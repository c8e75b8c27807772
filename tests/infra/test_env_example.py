"""`.env.example` documents exactly the variables the project reads: a drift test.

Names and defaults come from the code that reads them: the settings modules run
with decouple's `env` replaced by a recorder, gunicorn.conf.py over an empty
environment that notes each lookup. Entry points, shell, compose and Nginx files
are parsed for their reads. The file is also the app containers' env_file: its
bare names are what compose passes in, so it must name each variable the image
reads (or a CI/CD variable of that name would never reach the containers) and
nothing compose keeps to itself.
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
# `NAME` (passed into the app containers) or `# NAME=default` (compose's own).
ENTRY = re.compile(r"^(?:([A-Z][A-Z0-9_]*)|# ([A-Z][A-Z0-9_]*)=(.*))$")
# Above a bare NAME: the default the code gives it.
DEFAULT = re.compile(r"^# Default: (.*)$")
# Not for the containers: the image has no .env file, and its layout fixes the
# paths (web's collected static files are a tmpfs; media go to the bucket).
ENTRY_POINTS = [*ROOT.glob("config/*.py"), "manage.py", "docker/healthcheck.py"]
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
    for reads in [
        gunicorn_reads,
        parsed_reads(PY_READ, ENTRY_POINTS),
        parsed_reads(SHELL_READ, ["entrypoint.sh", "docker-compose.yml"]),
    ]:
        for name, values in reads.items():
            # What the settings read, their defaults decide (compose's are its own).
            if name not in recorder.reads:
                found[name] |= values
    return found


def entries():
    """(name, default shown, passed into the containers, comment) for each entry."""
    comment, default = "", None
    for line in (ROOT / ".env.example").read_text().splitlines():
        assert not re.match(r"^[A-Z][A-Z0-9_]*=", line), (
            f"{line}: a value here would reach every container, deploys' too; "
            "set it in .env"
        )
        if match := ENTRY.match(line):
            passed = match[1] is not None
            yield (
                (match[1] or match[2]),
                (default if passed else match[3]),
                passed,
                comment,
            )
            default = None
        elif match := DEFAULT.match(line):
            default = "" if match[1] == "(empty)" else match[1]
        else:  # grouped entries share the comment above the group
            comment = line if line.startswith("# ") else ""


def test_every_variable_read_is_documented_and_the_reverse(defaults):
    documented = {name for name, *_ in entries()}
    missing, unread = set(defaults) - documented, documented - set(defaults)
    assert not missing, f"add these to .env.example: {sorted(missing)}"
    assert not unread, f"nothing reads these .env.example entries: {sorted(unread)}"


def test_each_entry_shows_the_codes_default(recorder, defaults):
    for name, value, _, comment in entries():
        assert comment, f"no comment above {name}"
        if comment.startswith("# [secret, generated]") and not value:
            continue  # init-env's value stands in for any default
        if not defaults[name]:  # required
            assert value is None, f"{name} has no default"
            continue
        assert value is not None, f"{name}: show its default"
        shown = recorder.shown(name, value) if name in recorder.reads else value
        assert shown in defaults[name], f"{name}: the code's default is not {value}"


def app_services():
    return {name: compose()[name] for name in ("web", "worker", "beat")}


def test_the_app_containers_take_their_variables_from_env_example():
    for name, service in app_services().items():
        assert service["env_file"] == ".env.example", name
        # A bare name here would be a second list to keep in step.
        bare = [key for key, value in service["environment"].items() if value is None]
        assert not bare, f"{name}: pass {bare} through .env.example instead"


def test_env_example_passes_what_the_image_reads_and_nothing_else(
    recorder, gunicorn_reads
):
    passed = {name for name, _, is_passed, _ in entries() if is_passed}
    shell = parsed_reads(SHELL_READ, ["entrypoint.sh"])
    python = parsed_reads(PY_READ, ENTRY_POINTS)
    read = {*recorder.reads, *gunicorn_reads, *shell, *python}
    missing = read - NOT_FOR_CONTAINERS - passed
    assert not missing, f"make these bare names in .env.example: {sorted(missing)}"
    # Compose's own variables (its secrets among them) stay out of the app.
    unread = passed - read
    assert not unread, f"comment these out (# NAME=default): {sorted(unread)}"
    assert not passed & NOT_FOR_CONTAINERS, "not for the containers"


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
