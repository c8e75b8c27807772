"""A misconfigured container exits at start, naming the variables; none serves."""

import pytest


@pytest.mark.parametrize(
    ("env_vars", "named"),
    [
        ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "x"}, "AWS_ACCESS_KEY_ID"),
        ({"UPLOAD_ALLOWED_FORMATS": "JPEG,TIFF"}, "UPLOAD_ALLOWED_FORMATS"),
    ],
    ids=["half-set-key-pair", "unknown-format"],
)
def test_the_web_container_exits_naming_the_variable(stack, env_vars, named):
    options = [f"--env={name}={value}" for name, value in env_vars.items()]
    result = stack.compose(
        "run", "--rm", "--no-deps", *options, "web", check=False, timeout=120
    )
    assert result.returncode != 0
    assert named in result.stdout + result.stderr


def test_nginx_exits_when_its_body_limit_is_below_the_upload_limit(stack):
    env = {**stack.env, "NGINX_CLIENT_MAX_BODY_SIZE": "1m"}
    result = stack.compose(
        "run", "--rm", "--no-deps", "nginx", env=env, check=False, timeout=120
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "NGINX_CLIENT_MAX_BODY_SIZE=1m is not above UPLOAD_MAX_BYTES" in output
