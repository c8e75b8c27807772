"""The checks of README's "Development": `make test-unit` keeps its test database
while nothing it is made from changed, and `make lint` / `make hooks` run the
pre-commit hooks and fail on what they exist to catch.

Each test works in a copy of the repository (a git repository of its own for the
hooks) and removes what it created, also on failure.
"""

import os
import secrets
import subprocess
import sys
import time

import pytest

from tests.e2e.stack import RUN_TAG, copy_tracked_files
from tests.support.compose import ROOT

VENV = ROOT / ".venv"
COMPOSE = ["docker", "compose", "--env-file", "/dev/null", "--file"]
COMPOSE += ["docker-compose.yml", "--file", "docker-compose.test.yml"]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def _run(command, cwd, env=None, timeout=1200):
    return subprocess.run(
        command,
        cwd=cwd,
        env=env or os.environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def clone(tmp_path):
    return copy_tracked_files(tmp_path / "clone")


def test_make_creates_a_missing_env_and_never_overwrites_one(clone):
    env_file = clone / ".env"
    made = _run(["make", "--no-print-directory", ".env"], clone)
    assert made.returncode == 0, made.stderr
    generated = env_file.read_text()
    assert "SECRET_KEY=" in generated
    assert "SECRET_KEY=\n" not in generated, "the secret was not generated"
    env_file.write_text("SECRET_KEY=mine\n")
    again = _run(["make", "--no-print-directory", ".env"], clone)
    assert again.returncode == 0, again.stderr
    assert env_file.read_text() == "SECRET_KEY=mine\n"


@pytest.fixture
def unit_project(clone):
    project = f"drf-unit-test-{secrets.token_hex(4)}"
    yield project
    placeholders = {"SECRET_KEY": "x", "JWT_SIGNING_KEY": "x", "POSTGRES_PASSWORD": "x"}
    _run(
        [*COMPOSE, "--project-name", project, "down", "--volumes", "--timeout", "10"],
        clone,
        env={**os.environ, **placeholders},
    )


def test_make_test_unit_reuses_the_database_until_a_migration_changes(
    clone, unit_project
):
    env = {**os.environ, "TEST_UNIT_PROJECT": unit_project, "IMAGE_TAG": RUN_TAG}
    # -v: Django says whether it creates the test database; -s: shown.
    args = "ARGS=pytest -v -s apps/accounts/tests/test_services.py"

    def run_unit():
        started = time.monotonic()
        result = _run(["make", "--no-print-directory", "test-unit", args], clone, env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout + result.stderr, time.monotonic() - started

    first, first_seconds = run_unit()
    assert "Creating test database for alias 'default'" in first
    again, again_seconds = run_unit()
    assert "Using existing test database for alias 'default'" in again
    assert "Creating test database" not in again
    sys.stderr.write(
        f"\n[dev-loop] make test-unit: {first_seconds:.1f} s creating the test "
        f"database, {again_seconds:.1f} s reusing it\n"
    )
    # A changed migration makes the next run build the database again.
    migration = clone / "apps/posts/migrations/0002_post_created_idx.py"
    migration.write_text(migration.read_text() + "\n# changed\n")
    changed, _ = run_unit()
    assert "Creating test database for alias 'default'" in changed


@pytest.fixture
def repository(clone):
    for command in (
        ["git", "init", "--quiet"],
        ["git", "add", "--all"],
        [*GIT, "commit", "--quiet", "--no-verify", "-m", "clone"],
    ):
        subprocess.run(command, cwd=clone, check=True, capture_output=True)
    return clone


def test_make_lint_runs_every_hook_and_fails_on_a_missing_migration(repository):
    lint = ["make", "--no-print-directory", "lint", f"VENV={VENV}"]
    clean = _run(lint, repository, timeout=600)
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr
    for hook in ("ruff check", "hadolint", "shellcheck", "makemigrations --check"):
        assert hook in clean.stdout, hook
    models = repository / "apps/posts/models.py"
    models.write_text(
        models.read_text().replace(
            "    title = models.CharField(max_length=200)\n",
            "    title = models.CharField(max_length=200)\n"
            "    subtitle = models.CharField(max_length=200, default='')\n",
        )
    )
    broken = _run(lint, repository, timeout=600)
    assert broken.returncode != 0
    assert "makemigrations --check" in broken.stdout
    assert "Failed" in broken.stdout


def test_make_hooks_installs_a_git_hook_that_refuses_a_bad_commit(repository):
    hooks = _run(["make", "--no-print-directory", "hooks", f"VENV={VENV}"], repository)
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    assert (repository / ".git/hooks/pre-commit").is_file()
    (repository / "apps/core/unused.py").write_text("import os\n")
    subprocess.run(["git", "add", "apps/core/unused.py"], cwd=repository, check=True)
    env = {**os.environ, "PATH": f"{VENV}/bin:{os.environ['PATH']}"}
    commit = _run(
        [*GIT, "commit", "--quiet", "-m", "unused import"],
        repository,
        env=env,
        timeout=300,
    )
    assert commit.returncode != 0, commit.stdout
    assert "F401" in commit.stdout + commit.stderr
