"""`.env.example` lists exactly the variables the project reads: a drift test."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Patterns of a variable being read, per kind of file.
PY_READ = re.compile(
    r"""(?:\benv\(|\b_int\(|os\.environ\.get\(|os\.getenv\(|os\.environ\[|os\.environ\.setdefault\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)
SHELL_READ = re.compile(r"\$\{([A-Z][A-Z0-9_]+)")

# Read by the code but supplied by the platform, not by a deployer.
PLATFORM = {
    "CI",  # set by CI systems
    "HOSTNAME",  # set by the container runtime
    "PATH",
}


def python_sources():
    for folder in ("config", "apps", "docker"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" not in path.parts:
                yield path
    yield ROOT / "manage.py"


def shell_sources():
    candidates = [ROOT / "entrypoint.sh", ROOT / "docker-compose.yml"]
    candidates += sorted((ROOT / "docker").rglob("*.sh"))
    return [path for path in candidates if path.is_file()]


def variables_read():
    names = set()
    for path in python_sources():
        names |= set(PY_READ.findall(path.read_text()))
    for path in shell_sources():
        names |= set(SHELL_READ.findall(path.read_text()))
    return names - PLATFORM


def variables_documented():
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {
        line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    }


def test_every_variable_read_is_documented():
    missing = variables_read() - variables_documented()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_every_documented_variable_is_read():
    unused = variables_documented() - variables_read()
    assert not unused, f"nothing reads these .env.example entries: {sorted(unused)}"


def test_every_documented_variable_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line) and not lines[index - 1].startswith(
            "#"
        ):
            previous = lines[index - 1]
            # Grouped rates share the comment above the group.
            assert re.match(r"^[A-Z][A-Z0-9_]*=", previous), f"no comment above {line}"


def test_secret_entries_are_blank():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        is_secret = lines[index - 1].startswith("# [secret") if index else False
        # DATABASE_URL's example carries a placeholder password compose overrides.
        if is_secret and not line.startswith("DATABASE_URL="):
            assert line.endswith("="), f"{line.split('=')[0]} must have no value"
