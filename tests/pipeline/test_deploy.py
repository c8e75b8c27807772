"""deploy/deploy.sh's dry run: the configuration a deploy would apply, rendered by
`docker compose config` from nothing but the job's environment."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# What GitLab would export into the deploy job: its own variables plus the
# project's CI/CD variables (README, "Continuous delivery"). Values are distinctive,
# so each one can be traced to where it lands.
CI_ENVIRONMENT = {
    "CI_REGISTRY_IMAGE": "registry.example.com/acme/api",
    "CI_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
    "CI_ENVIRONMENT_SLUG": "staging",
    "SECRET_KEY": "ci-secret-key-5b0c8a7e2f6d4b1a9c3e7f0d2a4b6c8e",
    "JWT_SIGNING_KEY": "ci-jwt-signing-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "POSTGRES_PASSWORD": "ci-postgres-password-4c2a",
    "ALLOWED_HOSTS": "api.example.com,www.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://api.example.com",
    "AWS_STORAGE_BUCKET_NAME": "acme-media",
    "AWS_ACCESS_KEY_ID": "AKIACIVARIABLE",
    "AWS_SECRET_ACCESS_KEY": "ci-aws-secret",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_HOST_PASSWORD": "ci-smtp-password",
    "LOG_LEVEL": "WARNING",
    "GUNICORN_WORKERS": "5",
    "BACKUP_BUCKET": "acme-backups",
    "BACKUP_CIPHER_PASS": "ci-backup-cipher-pass-7e1f0a9c3d5b",
    "BACKUP_S3_KEY": "AKIABACKUPVARIABLE",
    "BACKUP_S3_KEY_SECRET": "ci-backup-s3-key-secret-2d4f6a",
}
# The backup repository's secrets: files in the containers, never a value compose
# renders (deploy.sh hands them to a one-off's standard input).
BACKUP_SECRETS = ["BACKUP_CIPHER_PASS", "BACKUP_S3_KEY", "BACKUP_S3_KEY_SECRET"]
BACKUP_SERVICES = ["db", "backup"]
# Django settings each application container must receive, as set above.
APP_SETTINGS = [
    "SECRET_KEY",
    "JWT_SIGNING_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_HOST_PASSWORD",
    "LOG_LEVEL",
]
APP_SERVICES = ["web", "worker", "beat"]


@pytest.fixture
def dry_run(run_script):
    def deploy(env=CI_ENVIRONMENT, root=ROOT):
        return run_script("deploy/deploy.sh", {**env, "DEPLOY_DRY_RUN": "1"}, cwd=root)

    return deploy


@pytest.fixture
def rendered(dry_run):
    result = dry_run()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize("service", APP_SERVICES)
@pytest.mark.parametrize("name", APP_SETTINGS)
def test_ci_variables_arrive_in_the_app_containers(rendered, service, name):
    assert rendered["services"][service]["environment"][name] == CI_ENVIRONMENT[name]


@pytest.mark.parametrize("service", APP_SERVICES)
def test_database_url_is_built_from_the_db_password(rendered, service):
    environment = rendered["services"][service]["environment"]
    assert environment["DATABASE_URL"] == (
        "postgres://app:ci-postgres-password-4c2a@db:5432/app"
    )
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert rendered["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == (
        "ci-postgres-password-4c2a"
    )


def test_web_only_serves_and_gets_its_server_settings(rendered):
    environment = rendered["services"]["web"]["environment"]
    assert environment["MIGRATE_ON_START"] == "false"
    assert environment["GUNICORN_WORKERS"] == "5"


def test_images_are_the_commits_and_nothing_is_built(rendered):
    services = rendered["services"]
    sha = CI_ENVIRONMENT["CI_COMMIT_SHA"]
    for name in APP_SERVICES:
        assert services[name]["image"] == f"registry.example.com/acme/api:{sha}"
    assert services["nginx"]["image"] == f"registry.example.com/acme/api/nginx:{sha}"
    for name in BACKUP_SERVICES:
        assert (
            services[name]["image"] == f"registry.example.com/acme/api/postgres:{sha}"
        )
    assert all("build" not in service for service in services.values())


def test_the_s3_stand_in_is_left_out(rendered):
    assert "s3" not in rendered["services"]
    for service in rendered["services"].values():
        assert "s3" not in service.get("depends_on", {})
    web = rendered["services"]["web"]["environment"]
    assert web["AWS_S3_ENDPOINT_URL"] == ""


def test_the_local_stacks_plain_http_is_left_out(rendered):
    # Unset, so production's default (True) redirects to HTTPS.
    for service in APP_SERVICES:
        environment = rendered["services"][service]["environment"]
        assert environment.get("SECURE_SSL_REDIRECT") is None, service


def test_compose_only_secrets_stay_out_of_the_app_containers(rendered):
    for service in APP_SERVICES:
        environment = rendered["services"][service]["environment"]
        assert "POSTGRES_PASSWORD" not in environment, service
        assert "BACKUP_CIPHER_PASS" not in environment, service


def test_one_compose_project_per_environment(rendered):
    assert rendered["name"] == "drf-staging"


def test_a_release_tag_deploys_the_tagged_image(dry_run):
    result = dry_run({**CI_ENVIRONMENT, "CI_COMMIT_TAG": "v1.4.0"})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["web"]["image"] == "registry.example.com/acme/api:v1.4.0"
    assert services["nginx"]["image"] == "registry.example.com/acme/api/nginx:v1.4.0"
    assert services["db"]["image"] == "registry.example.com/acme/api/postgres:v1.4.0"


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "JWT_SIGNING_KEY",
        "POSTGRES_PASSWORD",
        "ALLOWED_HOSTS",
        "AWS_STORAGE_BUCKET_NAME",
        "BACKUP_BUCKET",
        *BACKUP_SECRETS,
    ],
)
def test_a_missing_required_variable_stops_the_deploy(dry_run, missing):
    env = {k: v for k, v in CI_ENVIRONMENT.items() if k != missing}
    result = dry_run(env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_no_env_file_is_read(dry_run, tmp_path):
    # A .env next to the compose file (as a developer's checkout has) must not
    # stand in for a CI variable that is missing.
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    (tmp_path / ".env").write_text("SECRET_KEY=from-a-dotenv-file\n")
    env = {k: v for k, v in CI_ENVIRONMENT.items() if k != "SECRET_KEY"}
    result = dry_run(env, root=tmp_path)
    assert result.returncode != 0
    assert "from-a-dotenv-file" not in result.stdout
    assert "SECRET_KEY" in result.stderr


def test_migrations_run_once_before_the_rollout(dry_run):
    plan = [
        line
        for line in dry_run().stderr.splitlines()
        if line.startswith("+ docker compose")
    ]
    steps = [line.split(" deploy/compose.backups.yml ", 1)[1] for line in plan]
    assert steps == [
        "pull --quiet web worker beat nginx db backup",
        "run --rm --no-deps -T backup backup-secrets-store"
        " < BACKUP_CIPHER_PASS, BACKUP_S3_KEY, BACKUP_S3_KEY_SECRET",
        "up --detach --wait db redis",
        "run --rm --no-deps web python manage.py migrate_locked --noinput",
        "up --detach --wait --remove-orphans",
    ]
    assert all("--env-file /dev/null" in line for line in plan)


def test_the_readmes_dry_run_works_as_written():
    readme = (ROOT / "README.md").read_text()
    marker = "<!-- readme: tested-by tests/pipeline/test_deploy.py -->\n```sh\n"
    block = readme[readme.index(marker) + len(marker) :].split("```", 1)[0]
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    web = yaml.safe_load(result.stdout)["services"]["web"]
    assert web["image"] == "registry.example.com/acme/api:0123abcd"
    assert web["environment"]["SECRET_KEY"] == "dry-run-secret"


def test_the_readme_names_every_variable_a_deploy_reads():
    # Every ${VAR} the deploy's compose files and scripts interpolate is a CI/CD
    # variable someone may set: README's "CI/CD variables" section names it
    # (`PREFIX_*` covers a family).
    sources = [
        "docker-compose.yml",
        "deploy/compose.deploy.yml",
        "deploy/compose.backups.yml",
        "deploy/deploy.sh",
    ]
    read = set()
    for source in sources:
        text = (ROOT / source).read_text()
        # $${NAME} is compose's escape: the container's own variable, at run time.
        read |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### CI/CD variables", 1)[1].split("\n### ", 1)[0]
    named = set(re.findall(r"`\$?([A-Z][A-Z0-9_]*)`", section))
    families = [
        re.compile("^" + pattern.replace("*", "[A-Z0-9_]*") + "$")
        for pattern in re.findall(r"`([A-Z][A-Z0-9_]*\*[A-Z0-9_*]*)`", section)
    ]
    # The scripts' own, not settings (the dry run has its own README section; the
    # swarm secrets' names are derived, see deploy.sh's swarm_secrets).
    internal = {
        "BASH_SOURCE",
        "DEPLOY_DRY_RUN",
        "DRY_RUN",
        "VAR",
        "STACK_SECRET_PREFIX",
        "STACK_SECRET_VERSION",
    }
    missing = sorted(
        name
        for name in read - named - internal
        if not any(family.match(name) for family in families)
    )
    assert not missing, f"add to README's CI/CD variables: {missing}"


class _ComposeTags(yaml.SafeLoader):
    """Reads compose files' merge tags (!reset, !override) as the plain value."""


def _untagged(loader, _suffix, node):
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)


_ComposeTags.add_multi_constructor("!", _untagged)


def compose_file(path):
    return yaml.load((ROOT / path).read_text(), Loader=_ComposeTags)  # noqa: S506


def test_a_deploy_archives_wal_and_runs_the_backup_service(rendered):
    services = rendered["services"]
    local = compose_file("docker-compose.yml")["services"]
    # The same archive_command, archive_timeout and all, as the local stack's.
    assert (
        compose_file("deploy/compose.backups.yml")["services"]["db"]["command"]
        == local["db"]["command"]
    )
    assert "archive_mode=on" in services["db"]["command"]
    backup = services["backup"]
    assert backup["command"] == ["backup-schedule"]
    assert backup["depends_on"] == {
        "db": {"condition": "service_healthy", "required": True}
    }
    for name in BACKUP_SERVICES:
        assert services[name]["read_only"] is True


def test_the_backup_repository_is_a_real_bucket_over_verified_tls(rendered):
    for name in BACKUP_SERVICES:
        environment = rendered["services"][name]["environment"]
        assert environment["PGBACKREST_REPO1_S3_BUCKET"] == "acme-backups"
        assert environment["PGBACKREST_REPO1_S3_ENDPOINT"] == (
            "s3.us-east-1.amazonaws.com"
        )
        assert environment["PGBACKREST_REPO1_STORAGE_PORT"] == "443"
        assert environment["PGBACKREST_REPO1_S3_URI_STYLE"] == "host"
        assert environment["PGBACKREST_REPO1_STORAGE_VERIFY_TLS"] == "y"
        assert environment["PGBACKREST_REPO1_CIPHER_TYPE"] == "aes-256-cbc"


def test_the_backup_secrets_are_files_and_never_rendered(dry_run):
    result = dry_run()
    assert result.returncode == 0, result.stderr
    for name in BACKUP_SECRETS:
        assert CI_ENVIRONMENT[name] not in result.stdout
        assert CI_ENVIRONMENT[name] not in result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for service in BACKUP_SERVICES:
        environment = services[service]["environment"]
        assert environment["PGBACKREST_REPO1_CIPHER_PASS"] == ""
        assert environment["PGBACKREST_REPO1_S3_KEY_SECRET"] == ""
        assert (
            environment["BACKUP_CIPHER_PASS_FILE"] == "/run/backup-secrets/cipher-pass"
        )
        mounts = {m["target"]: m for m in services[service]["volumes"]}
        assert mounts["/run/backup-secrets"]["source"] == "backup-secrets"
    assert mounts["/run/backup-secrets"].get("read_only") is None  # backup writes
    db_mounts = {m["target"]: m for m in services["db"]["volumes"]}
    assert db_mounts["/run/backup-secrets"]["read_only"] is True


@pytest.mark.parametrize(
    ("variables", "stanza"),
    [
        ({}, "staging"),
        ({"CI_ENVIRONMENT_SLUG": "production"}, "production"),
        ({"BACKUP_STANZA": "acme-staging"}, "acme-staging"),
    ],
)
def test_each_environment_backs_up_into_a_stanza_of_its_own(dry_run, variables, stanza):
    result = dry_run({**CI_ENVIRONMENT, **variables})
    assert result.returncode == 0, result.stderr
    for service in yaml.safe_load(result.stdout)["services"].values():
        if "PGBACKREST_STANZA" in service.get("environment", {}):
            assert service["environment"]["PGBACKREST_STANZA"] == stanza
    assert f"backups: stanza {stanza}" in result.stderr


# DEPLOY_MODE=swarm: the stack of deploy/stack.yml, deployed to a Swarm manager.
SWARM_ENVIRONMENT = {**CI_ENVIRONMENT, "DEPLOY_MODE": "swarm"}
SECRETS = ["SECRET_KEY", "JWT_SIGNING_KEY", "POSTGRES_PASSWORD"]


@pytest.fixture
def swarm_dry_run(dry_run):
    result = dry_run(SWARM_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    return result


def test_swarm_mode_renders_the_stack_with_the_commits_images(swarm_dry_run):
    services = yaml.safe_load(swarm_dry_run.stdout)["services"]
    sha = CI_ENVIRONMENT["CI_COMMIT_SHA"]
    for name in [*APP_SERVICES, "migrate"]:
        assert services[name]["image"] == f"registry.example.com/acme/api:{sha}"
    assert services["nginx"]["image"] == f"registry.example.com/acme/api/nginx:{sha}"
    assert services["migrate"]["deploy"]["mode"] == "replicated-job"


def test_swarm_mode_keeps_secret_values_out_of_the_stack(swarm_dry_run):
    for name in [*SECRETS, *BACKUP_SECRETS]:
        assert CI_ENVIRONMENT[name] not in swarm_dry_run.stdout
        assert CI_ENVIRONMENT[name] not in swarm_dry_run.stderr
    web = yaml.safe_load(swarm_dry_run.stdout)["services"]["web"]["environment"]
    assert web["SECRET_KEY"] == ""
    assert web["SECRET_KEY_FILE"] == "/run/secrets/secret_key"


def test_swarm_secrets_are_named_per_stack_and_per_value(dry_run, swarm_dry_run):
    secrets = yaml.safe_load(swarm_dry_run.stdout)["secrets"]
    name = secrets["secret_key"]["name"]
    assert re.fullmatch(r"drf-staging_secret_key_[0-9a-f]{12}", name)
    assert f"+ docker secret create {name} - (from SECRET_KEY)" in swarm_dry_run.stderr
    rotated = dry_run({**SWARM_ENVIRONMENT, "SECRET_KEY": "a-rotated-secret-key"})
    new_name = yaml.safe_load(rotated.stdout)["secrets"]["secret_key"]["name"]
    assert new_name.startswith("drf-staging_secret_key_")
    assert new_name != name


def test_swarm_mode_creates_the_secrets_then_deploys_in_order(swarm_dry_run):
    plan = [line for line in swarm_dry_run.stderr.splitlines() if line.startswith("+ ")]
    assert [line.split(" - ", 1)[0].rsplit("_", 1)[0] for line in plan[1:5]] == [
        "+ docker secret create drf-staging_secret_key",
        "+ docker secret create drf-staging_jwt_signing_key",
        "+ docker secret create drf-staging_postgres_password",
        "+ docker secret create drf-staging_database_url",
    ]
    assert plan[0].startswith("+ docker login")
    assert plan[5:] == [
        "+ deploy/stack-deploy.sh drf-staging --with-registry-auth --detach=false"
    ]


@pytest.mark.parametrize("missing", [*SECRETS, "ALLOWED_HOSTS"])
def test_swarm_mode_stops_on_a_missing_required_variable(dry_run, missing):
    env = {k: v for k, v in SWARM_ENVIRONMENT.items() if k != missing}
    result = dry_run(env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_an_unknown_deploy_mode_stops_the_deploy(dry_run):
    result = dry_run({**CI_ENVIRONMENT, "DEPLOY_MODE": "kubernetes"})
    assert result.returncode == 2
    assert "DEPLOY_MODE must be compose or swarm, not 'kubernetes'" in result.stderr
