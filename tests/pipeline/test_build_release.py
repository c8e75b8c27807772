"""deploy/build.sh and deploy/release.sh dry runs: which images get which tags."""

import json
import re
import secrets
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SHA = "89abcdef0123456789abcdef0123456789abcdef"
GITLAB = {
    "CI_REGISTRY": "registry.example.com",
    "CI_REGISTRY_USER": "gitlab-ci-token",
    "CI_REGISTRY_PASSWORD": "job-token-must-not-be-printed",
    "CI_REGISTRY_IMAGE": "registry.example.com/acme/api",
    "CI_COMMIT_SHA": SHA,
    "CI_DEFAULT_BRANCH": "main",
    "CI_PROJECT_URL": "https://gitlab.example.com/acme/api",
}
APP = "registry.example.com/acme/api"
NGINX = "registry.example.com/acme/api/nginx"
POSTGRES = "registry.example.com/acme/api/postgres"


def commands(result):
    assert result.returncode == 0, result.stderr
    assert "job-token-must-not-be-printed" not in result.stdout + result.stderr
    return [line[2:] for line in result.stdout.splitlines() if line.startswith("+ ")]


def test_build_tags_each_image_with_the_commit_sha(run_script):
    env = {**GITLAB, "CI_COMMIT_REF_SLUG": "develop", "BUILD_DRY_RUN": "1"}
    steps = commands(run_script("deploy/build.sh", env))
    builds = [step for step in steps if step.startswith("docker build ")]
    assert len(builds) == 4
    app, nginx, postgres, sbom = builds
    assert f"--tag {APP}:{SHA}" in app
    assert "--target runtime" in app
    assert app.endswith(" .")
    assert f"--tag {NGINX}:{SHA}" in nginx
    assert "--file nginx/Dockerfile" in nginx
    assert nginx.endswith(" nginx")
    assert f"--tag {POSTGRES}:{SHA}" in postgres
    assert "--file docker/postgres/Dockerfile" in postgres
    assert postgres.endswith(" docker/postgres")
    pushes = [step for step in steps if step.startswith("docker push ")]
    assert f"docker push {APP}:{SHA}" in pushes
    assert f"docker push {NGINX}:{SHA}" in pushes
    assert f"docker push {POSTGRES}:{SHA}" in pushes
    # The SBOM comes last, from the app image's layers, into the job's artifacts.
    assert "--target sbom" in sbom
    assert "--output type=local" in sbom  # (the dry run shell-quotes the comma)
    assert "dest=reports/sbom" in sbom
    assert f"--cache-from {APP}:develop" in sbom
    assert "--push" not in sbom
    assert "--tag" not in sbom


def test_the_sbom_stage_lists_the_runtime_images_packages(tmp_path):
    """A real build of the Dockerfile's SBOM stage: CycloneDX JSON of /opt/venv.

    Built through compose's builder (this host's docker CLI has no buildx for
    build.sh's `--output`; GitLab's docker:27 has), then read from the image.
    """
    image = f"drf-reference-sbom-test:{secrets.token_hex(4)}"
    compose_file = tmp_path / "compose.yml"
    compose_file.write_text(
        json.dumps(
            {
                "services": {
                    "sbom": {
                        "build": {"context": str(ROOT), "target": "sbom-tool"},
                        "image": image,
                    }
                }
            }
        )
    )
    try:
        _docker("compose", "--file", str(compose_file), "build", "sbom")
        sbom = json.loads(
            _docker("run", "--rm", "--entrypoint", "cat", image, "/sbom.cdx.json")
        )
    finally:
        subprocess.run(
            ["docker", "rmi", "--force", image], capture_output=True, check=False
        )
    assert sbom["bomFormat"] == "CycloneDX"
    names = {_canonical(component["name"]) for component in sbom["components"]}
    pins = _pins(ROOT / "requirements/production.txt")
    assert {"django", "djangorestframework", "gunicorn", "celery"} <= names
    assert names == set(pins)  # the production lock, nothing of the tool's
    for component in sbom["components"]:
        assert component["version"] == pins[_canonical(component["name"])]


def _docker(*args):
    result = subprocess.run(
        ["docker", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return result.stdout


def _canonical(name):
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock):
    pins = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(" ")[0].split("==")
            pins[_canonical(name)] = version
    return pins


def test_build_reuses_the_branchs_and_default_branchs_layers(run_script):
    env = {**GITLAB, "CI_COMMIT_REF_SLUG": "develop", "BUILD_DRY_RUN": "1"}
    app = commands(run_script("deploy/build.sh", env))[1]
    assert f"--cache-from {APP}:develop" in app
    assert f"--cache-from {APP}:main" in app
    assert "--build-arg BUILDKIT_INLINE_CACHE=1" in app


def test_build_logs_in_without_showing_the_password(run_script):
    env = {**GITLAB, "CI_COMMIT_REF_SLUG": "main", "BUILD_DRY_RUN": "1"}
    steps = commands(run_script("deploy/build.sh", env))
    assert steps[0] == (
        "docker login --username gitlab-ci-token --password-stdin registry.example.com"
    )


def test_release_retags_the_tested_images_without_building(run_script):
    env = {**GITLAB, "CI_COMMIT_TAG": "v2.3.4", "RELEASE_DRY_RUN": "1"}
    steps = commands(run_script("deploy/release.sh", env))
    assert f"docker buildx imagetools create --tag {APP}:v2.3.4 {APP}:{SHA}" in steps
    assert (
        f"docker buildx imagetools create --tag {NGINX}:v2.3.4 {NGINX}:{SHA}" in steps
    )
    assert (
        f"docker buildx imagetools create --tag {POSTGRES}:v2.3.4 {POSTGRES}:{SHA}"
        in steps
    )
    assert not any(step.startswith(("docker build ", "docker push ")) for step in steps)


@pytest.mark.parametrize("tag", ["1.2.3", "v1.2", "v1.2.3-rc1", "latest"])
def test_release_refuses_tags_that_are_not_vX_Y_Z(run_script, tag):
    env = {**GITLAB, "CI_COMMIT_TAG": tag, "RELEASE_DRY_RUN": "1"}
    result = run_script("deploy/release.sh", env)
    assert result.returncode == 2
    assert "vX.Y.Z" in result.stderr


def test_every_shipped_dockerfile_exists():
    text = (ROOT / "deploy" / "lib.sh").read_text()
    block = text[text.index("shipped_images() {") :].split("}", 1)[0]
    lines = [line.strip().strip('"\\ ') for line in block.splitlines()[2:]]
    entries = [line.split() for line in lines if line]
    assert [entry[0] for entry in entries] == ["app", "nginx", "postgres"]
    for _, dockerfile, context, _target in entries:
        assert (ROOT / dockerfile).is_file()
        assert (ROOT / context).is_dir()
