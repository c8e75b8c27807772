"""One compose project driven from Python, and the docker commands around it.

The end-to-end suite's stack (tests/e2e/conftest.py) and the benchmark's
(bench/stack.py) are both a ComposeProject: a project name of its own, the
environment compose interpolates, and the compose files it is made of.
"""

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"


class ComposeError(AssertionError):
    """A docker or compose command exited non-zero (a failed check in a test)."""


def run(command, *, env=None, timeout: float = 120, check: bool = True):
    """Run `command` in the repository; its CompletedProcess, text output."""
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise ComposeError(
            f"{' '.join(command)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def docker(*args: str, timeout: float = 120, check: bool = True) -> str:
    """A plain `docker` command's output."""
    return run(["docker", *args], timeout=timeout, check=check).stdout


def inspect(container: str, template: str) -> str:
    """`docker inspect --format TEMPLATE` of one container."""
    return docker("inspect", "--format", template, container).strip()


def health(container: str) -> str:
    return inspect(container, "{{.State.Health.Status}}")


@dataclass
class ComposeProject:
    """One compose project: its commands, run with the environment it is given."""

    project: str = "drf"
    # Out of the repr: it holds the stack's secrets, and pytest prints a failing
    # test's fixtures.
    env: dict = field(default_factory=dict, repr=False)
    files: tuple = ("docker-compose.yml",)
    # Compose reads no .env unless a project names one.
    env_file: str = os.devnull

    def environment(self) -> dict:
        """The environment compose runs with: what it interpolates."""
        return self.env

    def image(self, name: str) -> str:
        """The image of ours named `name` ("app", "nginx", "app-test"...) that this
        project builds and runs: compose tags them with IMAGE_TAG."""
        return f"drf-reference-{name}:{self.environment().get('IMAGE_TAG', 'latest')}"

    def compose_command(self) -> list[str]:
        """`docker compose` with this project's name, files and env file."""
        files = [arg for name in self.files for arg in ("-f", str(ROOT / name))]
        return [
            "docker", "compose", "--project-name", self.project,
            "--project-directory", str(ROOT), "--env-file", str(self.env_file),
            *files,
        ]  # fmt: skip

    def compose(self, *args: str, env=None, check=True, timeout: float = 600):
        """`docker compose ARGS` for this project; its CompletedProcess."""
        command = [*self.compose_command(), *args]
        env = env or self.environment()
        return run(command, env=env, timeout=timeout, check=check)

    def exec(self, service, *command, env_vars=None, check=True, index=None):
        """`docker compose exec` in one of the service's running containers: the
        replica numbered `index`, or without one the lowest-numbered running."""
        options = [] if index is None else [f"--index={index}"]
        for name, value in (env_vars or {}).items():
            options += ["--env", f"{name}={value}"]
        return self.compose("exec", "-T", *options, service, *command, check=check)

    def psql(self, query: str) -> str:
        """One query by psql in the db container, as the application's user: its
        rows, one per line, columns separated by |."""
        script = 'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -qAt -F "|" -c "$0"'
        return self.exec("db", "sh", "-c", script, query).stdout.strip()

    def replica_numbers(self, service: str) -> list[int]:
        """The numbers of the service's running replicas (`exec --index`).

        Not always 1..N: scaling down removes outdated replicas first, and
        scaling up again numbers the new ones after the highest left.
        """
        out = self.compose("ps", "--format", "{{.Name}}", service).stdout
        return sorted(int(name.rpartition("-")[2]) for name in out.split())

    def container_ids(self, service: str) -> list[str]:
        return sorted(self.compose("ps", "--quiet", service).stdout.split())

    def containers(self) -> dict[str, str]:
        """Container name -> id, for every running container of the project."""
        out = self.compose("ps", "--format", "json").stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return {row["Name"]: row["ID"] for row in rows}

    def logs(self, *services: str) -> str:
        return self.compose("logs", "--no-color", *services).stdout
