"""deploy/deploy.sh for real: over SSH to a Docker host, images from a registry.

The deploy target is a container running sshd and the docker CLI on this machine's
engine (tests/pipeline/deploy-target/), the registry a local distribution registry:
what a GitLab deploy job meets, minus the network. Run by `make test-deploy`.
"""

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET_DIR = ROOT / "tests" / "pipeline" / "deploy-target"
PROJECT = f"drf-deploy-{os.getpid()}"
SHA = secrets.token_hex(20)

pytestmark = pytest.mark.deploy


def sh(*command, **kwargs):
    return subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=600, **kwargs
    ).stdout.strip()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_container(name, dockerfile, port, *args):
    image = f"drf-reference/{name}"
    sh(
        "docker",
        "build",
        "--quiet",
        "--tag",
        image,
        "--file",
        str(TARGET_DIR / dockerfile),
        str(TARGET_DIR),
    )
    container = f"{PROJECT}-{name}"
    host_port = free_port()
    sh(
        "docker",
        "run",
        "--detach",
        "--name",
        container,
        "--publish",
        f"127.0.0.1:{host_port}:{port}",
        *args,
        image,
    )
    return container, host_port


def wait_for(check, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not come up in {timeout}s")


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (http URL built here)
            return True
    except urllib.error.HTTPError:
        return True  # an answer, if only "log in first"
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def registry():
    account = {"user": "gitlab-ci-token", "password": secrets.token_urlsafe(16)}
    container, port = start_container(
        "deploy-target-registry",
        "registry.Dockerfile",
        5000,
        "--env",
        f"REGISTRY_USER={account['user']}",
        "--env",
        f"REGISTRY_PASSWORD={account['password']}",
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/v2/"), "the registry")
        yield {"host": f"127.0.0.1:{port}", **account}
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)


@pytest.fixture(scope="module")
def ssh_host(tmp_path_factory):
    keys = tmp_path_factory.mktemp("ssh")
    key = keys / "deploy_key"
    sh(
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "gitlab-deploy",
        "-f",
        str(key),
    )
    container, port = start_container(
        "deploy-target-host",
        "host.Dockerfile",
        22,
        "--volume",
        "/var/run/docker.sock:/var/run/docker.sock",
        "--env",
        f"AUTHORIZED_KEY={(keys / 'deploy_key.pub').read_text().strip()}",
    )
    try:

        def host_key():
            result = subprocess.run(
                [
                    "docker",
                    "exec",
                    container,
                    "cat",
                    "/etc/ssh/ssh_host_ed25519_key.pub",
                ],
                capture_output=True,
                text=True,
            )
            return result.returncode == 0 and result.stdout

        wait_for(host_key, "the SSH host key")
        algorithm, blob = host_key().split()[:2]
        yield {
            "DEPLOY_HOST": f"root@127.0.0.1:{port}",
            # A GitLab "File" variable arrives as a path; known hosts as text.
            "SSH_PRIVATE_KEY": str(key),
            "SSH_KNOWN_HOSTS": f"[127.0.0.1]:{port} {algorithm} {blob}",
        }
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)


@pytest.fixture(scope="module")
def pushed_images(registry, tmp_path_factory):
    """The images the build job would have pushed for commit SHA."""
    env = {
        **os.environ,
        "DOCKER_CONFIG": str(tmp_path_factory.mktemp("build-docker-config")),
        # Only so compose can read docker-compose.yml; nothing is deployed with them.
        "SECRET_KEY": "build-only",
        "JWT_SIGNING_KEY": "build-only",
        "POSTGRES_PASSWORD": "build-only",
    }
    sh(
        "docker",
        "compose",
        "--env-file",
        "/dev/null",
        "build",
        "web",
        "nginx",
        cwd=ROOT,
        env=env,
    )
    subprocess.run(
        [
            "docker",
            "login",
            "--username",
            registry["user"],
            "--password-stdin",
            registry["host"],
        ],
        input=registry["password"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    repository = f"{registry['host']}/acme/api"
    pushed = []
    for local, remote in (
        ("drf-reference-app:latest", f"{repository}:{SHA}"),
        ("drf-reference-nginx:latest", f"{repository}/nginx:{SHA}"),
    ):
        sh("docker", "tag", local, remote)
        sh("docker", "push", "--quiet", remote, env=env)
        pushed.append(remote)
    yield repository
    subprocess.run(["docker", "image", "rm", *pushed], capture_output=True)


@pytest.fixture(scope="module")
def deployed(registry, ssh_host, pushed_images, tmp_path_factory):
    http_port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        # GitLab's own variables.
        "CI_REGISTRY": registry["host"],
        "CI_REGISTRY_USER": registry["user"],
        "CI_REGISTRY_PASSWORD": registry["password"],
        "CI_REGISTRY_IMAGE": pushed_images,
        "CI_COMMIT_SHA": SHA,
        "CI_ENVIRONMENT_SLUG": "staging",
        # The project's CI/CD variables.
        **ssh_host,
        "COMPOSE_PROJECT_NAME": PROJECT,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "AWS_STORAGE_BUCKET_NAME": "media",
        "HTTP_PORT": str(http_port),
        "LOG_LEVEL": "WARNING",
        # docker login stores the registry's credentials here, not in ~/.docker.
        "DOCKER_CONFIG": str(tmp_path_factory.mktemp("docker-config")),
    }

    def deploy():
        return subprocess.run(
            [str(ROOT / "deploy" / "deploy.sh")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    try:
        yield {
            "deploy": deploy,
            "first": deploy(),
            "url": f"http://127.0.0.1:{http_port}",
        }
    finally:
        subprocess.run(
            [
                "docker",
                "compose",
                "--project-name",
                PROJECT,
                "down",
                "--volumes",
                "--remove-orphans",
                "--timeout",
                "10",
            ],
            capture_output=True,
        )


def containers(service):
    names = sh(
        "docker",
        "ps",
        "--filter",
        f"label=com.docker.compose.project={PROJECT}",
        "--filter",
        f"label=com.docker.compose.service={service}",
        "--format",
        "{{.Names}}",
    )
    return names.split()


def test_the_deploy_succeeds(deployed):
    result = deployed["first"]
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_site_answers_through_nginx_with_a_migrated_database(deployed):
    request = urllib.request.Request(  # noqa: S310
        deployed["url"] + "/api/v1/auth/register/",
        data=json.dumps(
            {"email": "deploy@example.com", "password": "correct-horse-battery"}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201


def test_containers_run_the_commits_images_with_the_ci_variables(deployed):
    (web,) = containers("web")
    config = json.loads(sh("docker", "inspect", web))[0]["Config"]
    assert config["Image"].endswith(f"/acme/api:{SHA}")
    environment = dict(item.split("=", 1) for item in config["Env"])
    assert environment["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert environment["LOG_LEVEL"] == "WARNING"
    assert environment["MIGRATE_ON_START"] == "false"
    for service in ("worker", "beat", "nginx", "db", "redis"):
        assert containers(service), f"{service} is not running"


def test_web_left_migrations_to_the_one_off(deployed):
    (web,) = containers("web")
    logs = subprocess.run(["docker", "logs", web], capture_output=True, text=True)
    assert "not applying migrations" in logs.stdout + logs.stderr


def test_a_second_deploy_of_the_same_commit_is_a_no_op_that_succeeds(deployed):
    result = deployed["deploy"]()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No migrations to apply" in result.stdout + result.stderr
