"""Factor XII, admin processes: the README's one-off commands, run as written.

They run in the release's own image and environment: `exec` in a running web
container, or `run --rm` in a new one that does its job and goes away.
"""

import re
import secrets
import subprocess

from tests.e2e.readme import readme_commands, run_as_user
from tests.support.api import ME, POSTS, TOKEN, remember_secret

README_TESTED_BY = "tests/e2e/test_admin_processes.py"
REQUIRED = [
    "docker compose run --rm web python manage.py migrate",
    "docker compose exec -e DJANGO_SUPERUSER_EMAIL -e DJANGO_SUPERUSER_PASSWORD web "
    "python manage.py createsuperuser --noinput",
    "docker compose exec web python manage.py shell -c",
    "docker compose exec web python manage.py seed_demo",
]


def one_off_containers(stack):
    result = subprocess.run(
        ["docker", "ps", "--all", "--quiet",
         "--filter", f"label=com.docker.compose.project={stack.project}",
         "--filter", "label=com.docker.compose.oneoff=True"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.split()


def published_posts(client):
    """How many posts anyone can read, following the list's `next` links."""
    count, url = 0, f"{POSTS}?page_size=100"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        count += len(response.json()["results"])
        url = response.json()["next"]
    return count


def test_readme_admin_commands_run_as_one_off_processes(stack, client):
    commands = readme_commands(README_TESTED_BY)
    for required in REQUIRED:
        assert any(c.startswith(required) for c in commands), required
    admin = {
        "DJANGO_SUPERUSER_EMAIL": f"admin-{secrets.token_hex(4)}@example.com",
        "DJANGO_SUPERUSER_PASSWORD": remember_secret(secrets.token_urlsafe(18)),
    }
    web = stack.container_ids("web")

    outputs = {c: run_as_user(stack, c, env=admin) for c in commands}

    migrate = next(r for c, r in outputs.items() if c.startswith(REQUIRED[0]))
    assert "No migrations to apply." in migrate.stdout
    # A one-off, not a second server: no gunicorn preparation, nothing left behind.
    assert "collecting static files" not in migrate.stderr
    assert not one_off_containers(stack)
    assert stack.container_ids("web") == web

    superusers = next(r for c, r in outputs.items() if "shell -c" in c)
    assert int(superusers.stdout.split()[-1]) >= 1

    tokens = client.post(
        TOKEN,
        json={
            "email": admin["DJANGO_SUPERUSER_EMAIL"],
            "password": admin["DJANGO_SUPERUSER_PASSWORD"],
        },
    )
    assert tokens.status_code == 200, tokens.text
    remember_secret(tokens.json()["refresh"])
    access = remember_secret(tokens.json()["access"])
    me = client.get(ME, headers={"Authorization": f"Bearer {access}"})
    assert me.json()["is_staff"] is True

    seeded = next(r for c, r in outputs.items() if "seed_demo" in c)
    totals = re.search(
        r"(\d+) demo users, \d+ posts added \((\d+) in total\)", seeded.stdout
    )
    assert totals, seeded.stdout
    assert (int(totals[1]), int(totals[2])) == (20, 200)
    # Most demo posts are published: anyone reads them through the API.
    assert published_posts(client) >= 100
