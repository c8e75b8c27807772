"""The build, release and deploy jobs' scripts for real, as GitLab runs them.

Each script runs in a stand-in for the jobs' docker images (bash, docker CLI, buildx,
compose, ssh: tests/pipeline/deploy-target/runner.Dockerfile) on this machine's
engine, against a registry with a password and a deploy target that is an SSH server
with the docker CLI: what the jobs meet on GitLab, minus the network. In order:
build for a commit, deploy it (staging), release it as a tag, deploy the tag.
The deploys' backup bucket is the project's S3 stand-in, started in the deployed
project by its `s3-stand-in` profile (the only bucket this machine can reach),
over TLS with the backups' own key pair, as a real bucket would be.
Run by `make test-deploy`.
"""

import base64
import json
import os
import secrets
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]
TARGET_DIR = ROOT / "tests" / "pipeline" / "deploy-target"
PROJECT = f"drf-deploy-{os.getpid()}"
SHA = secrets.token_hex(20)
TAG = "v1.0.0"
REPOSITORIES = ("acme/api", "acme/api/nginx", "acme/api/postgres")

pytestmark = pytest.mark.deploy


def sh(*command, **kwargs):
    return subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=600, **kwargs
    ).stdout.strip()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_image(name):
    image = f"drf-reference/deploy-target-{name}"
    sh(
        "docker",
        "build",
        "--quiet",
        "--tag",
        image,
        "--file",
        str(TARGET_DIR / f"{name}.Dockerfile"),
        str(TARGET_DIR),
    )
    return image


def start_container(name, port, *args):
    image = build_image(name)
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


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (http URL built here)
            return True
    except urllib.error.HTTPError:
        return True  # an answer, if only "log in first"
    except (urllib.error.URLError, OSError):
        return False


def post_json(url, payload):
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


@pytest.fixture(scope="module")
def registry():
    account = {"user": "gitlab-ci-token", "password": secrets.token_urlsafe(16)}
    container, port = start_container(
        "registry",
        5000,
        "--env",
        f"REGISTRY_USER={account['user']}",
        "--env",
        f"REGISTRY_PASSWORD={account['password']}",
    )
    try:
        wait_until(
            lambda: answers(f"http://127.0.0.1:{port}/v2/"),
            timeout=60,
            what="the registry",
        )
        yield {"host": f"127.0.0.1:{port}", **account}
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)


def manifest_digest(registry, repository, reference):
    """The registry's digest for repository:reference (None when it has none)."""
    credentials = f"{registry['user']}:{registry['password']}".encode()
    request = urllib.request.Request(
        f"http://{registry['host']}/v2/{repository}/manifests/{reference}",
        method="HEAD",
        headers={
            "Authorization": "Basic " + base64.b64encode(credentials).decode(),
            "Accept": "application/vnd.docker.distribution.manifest.v2+json, "
            "application/vnd.oci.image.index.v1+json, "
            "application/vnd.oci.image.manifest.v1+json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.headers["Docker-Content-Digest"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


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
        "host",
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

        wait_until(host_key, timeout=60, what="the SSH host key")
        algorithm, blob = host_key().split()[:2]
        yield {
            "keys": keys,
            "DEPLOY_HOST": f"root@127.0.0.1:{port}",
            # A GitLab "File" variable arrives as a path (mounted below); the known
            # hosts as a plain variable's text.
            "SSH_PRIVATE_KEY": "/keys/deploy_key",
            "SSH_KNOWN_HOSTS": f"[127.0.0.1]:{port} {algorithm} {blob}",
        }
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)


@pytest.fixture(scope="module")
def job(registry, ssh_host, tmp_path_factory):
    """Runs a deploy/ script the way its GitLab job does, with GitLab's variables."""
    runner = build_image("runner")
    # The checkout is read-only here; a job writes its artifacts under reports/,
    # mounted over the checkout's own, which must exist to be mounted on (a fresh
    # clone has none).
    reports = tmp_path_factory.mktemp("job-reports")
    (ROOT / "reports").mkdir(exist_ok=True)
    gitlab = {
        "CI_REGISTRY": registry["host"],
        "CI_REGISTRY_USER": registry["user"],
        "CI_REGISTRY_PASSWORD": registry["password"],
        "CI_REGISTRY_IMAGE": f"{registry['host']}/acme/api",
        "CI_COMMIT_SHA": SHA,
        "CI_DEFAULT_BRANCH": "main",
        "CI_PROJECT_URL": "https://gitlab.example.com/acme/api",
    }

    def run(script, **variables):
        variables = {**gitlab, **variables}
        command = [
            "docker",
            "run",
            "--rm",
            "--network",
            "host",
            # In place of the docker:dind service: this machine's engine.
            "--volume",
            "/var/run/docker.sock:/var/run/docker.sock",
            "--volume",
            f"{ROOT}:/builds/acme/api:ro",
            "--volume",
            f"{reports}:/builds/acme/api/reports",
            "--volume",
            f"{ssh_host['keys']}:/keys:ro",
            "--workdir",
            "/builds/acme/api",
        ]
        for name in variables:
            command += ["--env", name]  # the value comes from the environment below
        command += [runner, "bash", f"deploy/{script}"]
        return subprocess.run(
            command,
            env={**os.environ, **variables},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    return run


@pytest.fixture(scope="module")
def site(job, ssh_host, registry):
    """The deploy jobs' CI/CD variables, and where the deployed site answers."""
    http_port = free_port()
    variables = {
        "DEPLOY_HOST": ssh_host["DEPLOY_HOST"],
        "SSH_PRIVATE_KEY": ssh_host["SSH_PRIVATE_KEY"],
        "SSH_KNOWN_HOSTS": ssh_host["SSH_KNOWN_HOSTS"],
        "COMPOSE_PROJECT_NAME": PROJECT,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "AWS_STORAGE_BUCKET_NAME": "media",
        "HTTP_PORT": str(http_port),
        "LOG_LEVEL": "WARNING",
        # The backup repository: the stand-in's bucket, over its TLS listener.
        "COMPOSE_PROFILES": "s3-stand-in",
        "BACKUP_BUCKET": "backups",
        "BACKUP_S3_ENDPOINT": "s3",
        "BACKUP_S3_PORT": "5443",
        "BACKUP_S3_URI_STYLE": "path",
        "BACKUP_S3_VERIFY_TLS": "n",  # the stand-in's certificate is self-signed
        "BACKUP_CIPHER_PASS": secrets.token_urlsafe(32),
        "BACKUP_S3_KEY": f"backup-{secrets.token_hex(4)}",
        "BACKUP_S3_KEY_SECRET": secrets.token_urlsafe(24),
    }
    try:
        yield {"variables": variables, "url": f"http://127.0.0.1:{http_port}"}
    finally:
        remove_project()
        # What build.sh tagged and the deploys pulled, on this same engine.
        images = [
            f"{registry['host']}/{repository}:{tag}"
            for repository in REPOSITORIES
            for tag in (SHA, "develop", TAG)
        ]
        # The stand-in bucket's image, which compose built under the deploy's tags.
        images += [f"drf-reference-s3:{tag}" for tag in (SHA, TAG)]
        subprocess.run(["docker", "image", "rm", *images], capture_output=True)


def remove_project():
    """The deployed project's containers, volumes and networks, found by label: the
    compose files cannot be read here without the deploy's variables."""
    label = f"label=com.docker.compose.project={PROJECT}"
    for kind, listing in (
        ("container", ["ps", "--all", "--quiet"]),
        ("volume", ["volume", "ls", "--quiet"]),
        ("network", ["network", "ls", "--quiet"]),
    ):
        found = subprocess.run(
            ["docker", *listing, "--filter", label], capture_output=True, text=True
        ).stdout.split()
        if found:
            remove = ["rm", "--force"] if kind == "container" else [kind, "rm"]
            subprocess.run(["docker", *remove, *found], capture_output=True)


@pytest.fixture(scope="module")
def built(job):
    return job("build.sh", CI_COMMIT_REF_SLUG="develop")


@pytest.fixture(scope="module")
def staged(built, job, site):
    return job("deploy.sh", CI_ENVIRONMENT_SLUG="staging", **site["variables"])


@pytest.fixture(scope="module")
def released(staged, job):
    return job("release.sh", CI_COMMIT_TAG=TAG)


@pytest.fixture(scope="module")
def redeployed(released, job, site):
    return job(
        "deploy.sh",
        CI_ENVIRONMENT_SLUG="production",
        CI_COMMIT_TAG=TAG,
        **site["variables"],
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


def web_container():
    (web,) = containers("web")
    return json.loads(sh("docker", "inspect", web))[0]


def test_build_pushes_every_image_for_the_commit(built, registry):
    assert built.returncode == 0, built.stdout + built.stderr
    for repository in REPOSITORIES:
        assert manifest_digest(registry, repository, SHA)


def test_deploy_serves_the_commit_through_nginx_with_a_migrated_database(staged, site):
    assert staged.returncode == 0, staged.stdout + staged.stderr
    status = post_json(
        site["url"] + "/api/v1/auth/register/",
        {"email": "deploy@example.com", "password": "correct-horse-battery"},
    )
    assert status == 201


def test_the_containers_get_the_ci_variables(staged):
    config = web_container()["Config"]
    assert config["Image"].endswith(f"/acme/api:{SHA}")
    # A bare name is a setting compose passes through that the deploy left unset:
    # the container does not have it, so the settings' default applies.
    environment = dict(item.split("=", 1) for item in config["Env"] if "=" in item)
    assert environment["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert environment["LOG_LEVEL"] == "WARNING"
    assert environment["MIGRATE_ON_START"] == "false"
    for service in ("worker", "beat", "nginx", "db", "redis", "backup"):
        assert containers(service), f"{service} is not running"


def backed_up(stanza):
    """`pgbackrest info` of the stanza, once the sidecar's first backup is in it
    (the sidecar is healthy when the stanza exists, then takes that backup)."""
    (backup,) = containers("backup")

    def info():
        out = sh("docker", "exec", backup, "pgbackrest", "info", "--output=json")
        found = {item["name"]: item for item in json.loads(out)}.get(stanza)
        return found if found and found.get("backup") else None

    return wait_until(info, timeout=180, interval=2, what=f"a backup in {stanza}")


def test_the_deploy_archives_and_backs_up_into_the_environments_stanza(staged):
    (db,) = containers("db")
    assert json.loads(sh("docker", "inspect", db))[0]["Config"]["Image"].endswith(
        f"/acme/api/postgres:{SHA}"
    )
    stanza = backed_up("staging")
    assert stanza["status"]["message"] == "ok", stanza["status"]
    assert stanza["cipher"] == "aes-256-cbc"
    assert [backup["type"] for backup in stanza["backup"]] == ["full"]
    assert stanza["archive"][0]["max"], "no WAL segment archived"


def test_no_backup_secret_shows_in_docker_inspect_or_a_log(staged, site):
    ours = [*containers("db"), *containers("backup")]
    inspected = sh("docker", "inspect", *ours)
    logged = staged.stdout + staged.stderr
    for container in ours:
        logs = subprocess.run(["docker", "logs", container], capture_output=True)
        logged += logs.stdout.decode() + logs.stderr.decode()
    for name in ("BACKUP_CIPHER_PASS", "BACKUP_S3_KEY_SECRET", "BACKUP_S3_KEY"):
        assert site["variables"][name] not in inspected, name
        assert site["variables"][name] not in logged, name
    assert "BACKUP_CIPHER_PASS_FILE=/run/backup-secrets/cipher-pass" in inspected
    assert "stored 3 secrets" in logged  # the deploy's one-off did write them


def test_web_left_migrations_to_the_one_off(staged):
    logs = subprocess.run(
        ["docker", "logs", web_container()["Name"].lstrip("/")],
        capture_output=True,
        text=True,
    )
    assert "not applying migrations" in logs.stdout + logs.stderr


def test_release_tags_the_built_images_without_rebuilding(released, registry):
    assert released.returncode == 0, released.stdout + released.stderr
    assert "docker build" not in released.stdout
    for repository in REPOSITORIES:
        assert manifest_digest(registry, repository, TAG) == manifest_digest(
            registry, repository, SHA
        )


def test_deploying_the_tag_replaces_the_containers_and_keeps_the_data(redeployed, site):
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert "No migrations to apply" in redeployed.stdout + redeployed.stderr
    assert web_container()["Config"]["Image"].endswith(f"/acme/api:{TAG}")
    # The user registered before the rollout still logs in.
    status = post_json(
        site["url"] + "/api/v1/auth/token/",
        {"email": "deploy@example.com", "password": "correct-horse-battery"},
    )
    assert status == 200
    # The production environment archives into a stanza of its own.
    assert backed_up("production")["status"]["message"] == "ok"
