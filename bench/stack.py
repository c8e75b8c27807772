"""The benchmark's own compose project: start, stop, run commands, read figures.

It runs under its own project name and port, with its own image tags, so it never
touches the stack a developer or the end-to-end suite has up. It runs as an
operator's would, with the compose profile `observability`: Prometheus scrapes it
while it is measured, and graphs the run (bench/prometheus.py).
"""

import itertools
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.compose import ROOT, ComposeProject, docker, run

COMPOSE_FILES = ("docker-compose.yml", "bench/docker-compose.bench.yml")
# The tag of the images the benchmark builds and runs (IMAGE_TAG).
IMAGE_TAG = "bench"
APP_IMAGE = f"drf-reference-app:{IMAGE_TAG}"
IMAGES = {name: f"drf-reference-{name}:{IMAGE_TAG}" for name in ("app", "nginx", "s3")}
BASE_IMAGE = "python:3.13-slim"
_NOT_INHERITED = ("AWS_", "POSTGRES_", "GUNICORN", "NGINX_", "DJANGO_", "WEB_")
PROFILES = "observability"
_UNITS = {"b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 1e3, "mb": 1e6}


class StackError(RuntimeError):
    """The stack never became ready."""


@dataclass
class Stack(ComposeProject):
    """The benchmark's compose project, reached on 127.0.0.1:http_port.

    `env` holds the settings a run changes (a drill's replica count, a
    configuration under test), over the caller's environment.
    """

    project: str = "bench"
    http_port: int = 18480
    files: tuple = COMPOSE_FILES

    def __post_init__(self):
        self.env_file = self.generated_env_file()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def db_port(self) -> int:
        """PostgreSQL's port on 127.0.0.1 (the overlay publishes it)."""
        return self.http_port + 1

    @property
    def redis_port(self) -> int:
        return self.http_port + 2

    @property
    def prometheus_port(self) -> int:
        """Prometheus' UI and API on 127.0.0.1 (the profile `observability`)."""
        return self.http_port + 3

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    def secrets(self) -> dict[str, str]:
        """The generated settings of this project's env file, by name."""
        lines = Path(self.env_file).read_text().splitlines()
        pairs = (line.split("=", 1) for line in lines if "=" in line)
        return {
            name.strip(): value.strip()
            for name, value in pairs
            if not name.lstrip().startswith("#")
        }

    def url(self, path: str) -> str:
        return self.base_url + path

    def generated_env_file(self) -> Path:
        """Generated secrets for this project, kept so its volumes stay usable."""
        path = Path(tempfile.gettempdir()) / f"drf-{self.project}.env"
        if not path.exists():
            run([str(ROOT / "scripts" / "init-env"), str(path)])
        _add_new_secrets(path)
        return path

    def environment(self) -> dict:
        # A developer's exported settings must not change what is measured.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_NOT_INHERITED)
        }
        return {
            **inherited,
            "IMAGE_TAG": IMAGE_TAG,
            "HTTP_PORT": str(self.http_port),
            "HTTP_BIND": "127.0.0.1",
            "AWS_S3_CUSTOM_DOMAIN": f"127.0.0.1:{self.http_port}/media",
            "BENCH_DB_PORT": str(self.db_port),
            "BENCH_REDIS_PORT": str(self.redis_port),
            "COMPOSE_PROFILES": PROFILES,
            "PROMETHEUS_PORT": str(self.prometheus_port),
            **{key: str(value) for key, value in self.env.items()},
        }

    def build(self) -> float:
        started = time.monotonic()
        self.compose("build", timeout=1800)
        return round(time.monotonic() - started, 1)

    def up(self, *services: str, recreate: bool = False, no_deps: bool = False):
        args = ["up", "--detach", "--wait", "--wait-timeout", "240"]
        args += ["--force-recreate"] * recreate + ["--no-deps"] * no_deps
        self.compose(*args, *services, timeout=300)

    def down(self):
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "10")

    def manage(self, *args: str, timeout: float = 900) -> str:
        """Run a manage.py command in a one-off web container; its output."""
        return self.compose(
            "run", "--rm", "--no-deps", "-T", "web", "python", "manage.py", *args,
            timeout=timeout,
        ).stdout  # fmt: skip

    def sql(self, query: str) -> list[list[str]]:
        """Rows of a query run by psql in the db container, as lists of strings."""
        return [line.split("|") for line in self.psql(query).splitlines() if line]

    def wait_ready(self, timeout: float = 120, interval: float = 0.1) -> float:
        """Poll /readyz through Nginx until it answers 200; return the seconds."""
        started = time.monotonic()
        with httpx.Client(timeout=2) as client:
            while time.monotonic() - started < timeout:
                try:
                    if client.get(self.url("/readyz")).status_code == 200:
                        return time.monotonic() - started
                except httpx.HTTPError:
                    pass
                time.sleep(interval)
        raise StackError(f"{self.url('/readyz')} not 200 after {timeout} s")

    def container(self, service: str, index: int = 1) -> str:
        """The id of one replica of a service."""
        return self.containers()[f"{self.project}-{service}-{index}"]

    def memory(self) -> dict[str, float]:
        """MiB of memory each running container uses now (docker stats)."""
        ids = self.containers()
        if not ids:
            return {}
        out = docker("stats", "--no-stream", "--format", "{{json .}}", *ids.values())
        usage = {}
        for line in out.splitlines():
            row = json.loads(line)
            usage[_service(row["Name"], self.project)] = (
                parse_size(row["MemUsage"].split("/")[0]) / 2**20
            )
        return {name: round(mib, 1) for name, mib in sorted(usage.items())}


def image_sizes() -> dict[str, float]:
    """MB (10^6 bytes, as `docker images` counts) of the images the stack runs."""
    sizes = {}
    for name, tag in {**IMAGES, "base": BASE_IMAGE}.items():
        out = docker("image", "inspect", "--format", "{{.Size}}", tag)
        sizes[name] = round(int(out.strip()) / 1e6, 1)
    return sizes


def largest_packages(top: int = 8) -> dict[str, float]:
    """MB of the biggest installed distributions in the application image's venv."""
    out = docker(
        "run", "--rm", "--entrypoint", "sh", APP_IMAGE, "-c",
        "du -sk /opt/venv/lib/python3*/site-packages/* | sort -rn | head -n "
        + str(int(top)),
    )  # fmt: skip
    sizes = {}
    for line in out.splitlines():
        kib, path = line.split(maxsplit=1)
        sizes[path.rsplit("/", 1)[-1]] = round(int(kib) * 1024 / 1e6, 1)
    return sizes


def parse_size(text: str) -> float:
    """Bytes in a docker size such as "123.4MiB" or "1.2GB"."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    number, unit = match.groups()
    return float(number) * _UNITS[(unit or "b").lower()]


def _add_new_secrets(path: Path) -> None:
    """Generates the secrets .env.example gained since `path` was written (such as
    BACKUP_CIPHER_PASS), so a kept env file still starts every service."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    generated = [
        line.removeprefix("# ").removesuffix("=")
        for marker, line in itertools.pairwise(lines)
        if marker.startswith("# [secret, generated]")
    ]
    present = path.read_text()
    missing = [name for name in generated if f"\n{name}=" not in f"\n{present}"]
    if missing:
        with path.open("a") as env_file:
            env_file.writelines(
                f"{name}={secrets.token_urlsafe(48)}\n" for name in missing
            )


def _service(container: str, project: str) -> str:
    """'bench-web-1' -> 'web-1': names as the report shows them."""
    return container.removeprefix(f"{project}-")
