"""A compose project under test, and the constants the end-to-end tests share."""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
WEB_REPLICAS = 3
APP_IMAGE = "drf-reference-app:latest"


@dataclass
class Stack:
    """One compose project: runs compose commands against it, with its environment."""

    project: str
    env: dict
    port: int
    # The web replicas' logs from their first start, before any test recreates them.
    startup_logs: str = field(default="")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def compose(self, *args, env=None, check=True, timeout=600):
        command = [
            "docker",
            "compose",
            "--project-name",
            self.project,
            "--env-file",
            "/dev/null",
            *args,
        ]
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def exec(self, service, *command, env_vars=None, check=True, index=1):
        options = [f"--index={index}"]
        for name, value in (env_vars or {}).items():
            options += ["--env", f"{name}={value}"]
        return self.compose("exec", "-T", *options, service, *command, check=check)

    def manage(self, *args, **kwargs):
        return self.exec("web", "python", "manage.py", *args, **kwargs)

    def container_ids(self, service):
        result = self.compose("ps", "--quiet", service)
        return sorted(result.stdout.split())

    def logs(self, *services):
        return self.compose("logs", "--no-color", *services).stdout


def copy_tracked_files(clone):
    """The repository's tracked files in `clone`, as a user's fresh clone has them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone
