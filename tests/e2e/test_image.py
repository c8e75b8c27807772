"""The production image itself: contents, configuration, history, size."""

import json
import time

from tests.support.compose import docker, run

BASE_IMAGE = "python:3.13-slim"
# The layers the project adds to the base: the virtualenv and the code. 129 MB
# measured with tracing and error reporting in (the OpenTelemetry SDK, exporter and
# instrumentations 6.5 MB, protobuf 4.2 MB, sentry-sdk 5.5 MB): one image for every
# environment, switched on by variables, carries them; the budget keeps room for
# patch releases, not for a new dependency nobody weighed.
OWN_LAYERS_BUDGET_MB = 135


def run_in_image(stack, *command, env=None, entrypoint=None):
    options = [f"--entrypoint={entrypoint}"] if entrypoint else []
    for name, value in (env or {}).items():
        options += ["--env", f"{name}={value}"]
    image = stack.image("app")
    return run(["docker", "run", "--rm", *options, image, *command], check=False)


def test_runtime_image_holds_no_tests_dev_tools_or_local_files(stack):
    script = (
        "import importlib.util, pathlib\n"
        "dev = ['pytest', 'pytest_django', 'factory', 'moto', 'ruff', 'pip']\n"
        "print([m for m in dev if importlib.util.find_spec(m)])\n"
        "app = pathlib.Path('/app')\n"
        "print(sorted(str(p) for p in app.rglob('*') if p.name in\n"
        "    ('tests', 'conftest.py', '.env', '.git', 'e2e', 'node_modules')))\n"
    )
    found = run_in_image(stack, "-c", script, entrypoint="python").stdout
    assert found.splitlines() == ["[]", "[]"], found


def test_runtime_image_has_no_package_installer(stack):
    # The venv has no pip of its own; the base image's interpreter must not either.
    script = (
        "command -v pip pip3; "
        "for py in python python3 /usr/local/bin/python /usr/bin/python3; do "
        "[ -x \"$(command -v $py)\" ] && $py -c 'import pip' 2>/dev/null "
        '&& echo "$py imports pip"; done; true'
    )
    found = run_in_image(stack, "-c", script, entrypoint="sh").stdout
    assert found == "", found


def test_image_runs_as_non_root_with_exec_form_entrypoint(stack):
    config = json.loads(docker("image", "inspect", stack.image("app")))[0]["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["/app/entrypoint.sh"]
    assert config["Cmd"][0] == "gunicorn"
    assert "PYTHONUNBUFFERED=1" in config["Env"]


def test_no_secret_in_image_config_or_history(stack):
    config = docker("image", "inspect", stack.image("app"))
    history = docker("history", "--no-trunc", stack.image("app"))
    for text in (config, history):
        for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "PASSWORD", "AWS_SECRET"):
            assert name not in text
        for value in (stack.env["SECRET_KEY"], stack.env["POSTGRES_PASSWORD"]):
            assert value not in text


def test_own_layers_stay_within_budget(stack, record_property):
    def size_mb(image):
        return int(docker("image", "inspect", "--format", "{{.Size}}", image)) / 1e6

    total_mb = size_mb(stack.image("app"))
    own_mb = total_mb - size_mb(BASE_IMAGE)
    record_property("image_size_mb", round(total_mb))
    record_property("own_layers_mb", round(own_mb))
    assert own_mb < OWN_LAYERS_BUDGET_MB, f"{total_mb:.0f} MB, {own_mb:.0f} MB own"


def test_missing_secret_fails_at_start_naming_it(stack):
    result = run_in_image(
        stack, "python", "manage.py", "check", env={"DB_WAIT_TIMEOUT": "0"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY not found" in result.stderr


def test_entrypoint_gives_up_on_an_unreachable_database(stack):
    env = {
        "SECRET_KEY": "x" * 50,
        "JWT_SIGNING_KEY": "y" * 50,
        "DATABASE_URL": "postgres://app:app@127.0.0.1:9/app",
        "DB_WAIT_TIMEOUT": "3",
    }
    started = time.monotonic()
    result = run_in_image(stack, "gunicorn", "config.wsgi:application", env=env)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "did not accept connections within 3s" in result.stderr
    assert "app:app" not in result.stderr  # never echo credentials
    assert elapsed < 30
