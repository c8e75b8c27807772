"""The restore drill: data written, backed up, destroyed and restored to a moment.

Accounts and posts are created through Nginx; `make backup` takes a full backup;
more are written; the moment T is noted with a checksum of the tables as they are
then; more are written after T. The database volume is then deleted outright, and
`make restore TARGET_TIME=T` brings it back from the repository (base backup plus
archived WAL). It passes when the tables' checksum equals the one taken at T (the
same rows, not merely as many), Nginx serves the posts written before T and none
after, and the accounts made before T log in with their old passwords.

It runs against any compose project (`Project`): `make drills` uses the benchmark's,
tests/e2e/test_backups.py one of its own. The S3 stand-in is never restarted: it
holds the repository in memory.
"""

import os
import secrets
import subprocess
import time
from dataclasses import dataclass

import httpx

from bench.drills.outcome import result

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = ("accounts_user", "posts_post")
# One md5 over every row of every table, in key order: equal only for the same rows.
CHECKSUM = " || ".join(
    f"(SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM {name} t)"
    for name in TABLES
)
REPOSITORY_SIZE = """
import boto3, os
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
    aws_access_key_id="x", aws_secret_access_key="x")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ["BACKUP_BUCKET"])
print(sum(o["Size"] for page in pages for o in page.get("Contents", [])))
"""


@dataclass
class Project:
    """A running compose project: its name, Nginx's URL, how to run compose on it."""

    name: str
    base_url: str
    compose: list[str]
    env: dict

    def run(self, *command: str, timeout: float = 600) -> str:
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {done.returncode}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def make(self, target: str, **variables: str) -> str:
        assigned = [f"{name}={value}" for name, value in variables.items()]
        compose = " ".join(self.compose)
        return self.run("make", "--no-print-directory", target, *assigned,
                        f"COMPOSE={compose}")  # fmt: skip

    def sql(self, query: str) -> str:
        return self.run(
            *self.compose, "exec", "-T", "db", "sh", "-c",
            'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -qAt -c "$0"', query,
        ).strip()  # fmt: skip


def restore_drill(project: Project, *, quick: bool, log=print) -> dict:
    users = 2 if quick else 5
    posts = 3 if quick else 40
    with httpx.Client(base_url=project.base_url, timeout=30) as client:
        before = [_account(client, posts) for _ in range(users)]
        backup = _timed(lambda: project.make("backup"))
        before += [_account(client, posts) for _ in range(users)]
        moment, checksum = _moment(project)
        time.sleep(1.1)  # every later commit is stamped after T
        after = [_account(client, posts) for _ in range(users)]
        # Archives the WAL segment holding T and the later writes.
        project.run(*project.compose, "exec", "-T", "backup", "pgbackrest", "check")
        log(f"restore drill: T={moment}; deleting the database volume")
        _destroy(project)
        restore = _timed(lambda: project.make("restore", TARGET_TIME=moment))
        restored = project.sql(f"SELECT {CHECKSUM}")
        served = _served(client, [*before, *after])
        logins = [_logs_in(client, account) for account in before]
        later_logins = [_logs_in(client, account) for account in after]
    size = _repository_size(project)
    posts_before = {post for account in before for post in account["posts"]}
    posts_after = {post for account in after for post in account["posts"]}
    passed = (
        restored == checksum
        and posts_before <= served
        and not posts_after & served
        and all(logins)
        and not any(later_logins)
    )
    summary = (
        f"restored to T in {restore} s (backup {backup} s); checksum "
        f"{'equal' if restored == checksum else 'DIFFERENT'}; "
        f"{len(posts_before & served)}/{len(posts_before)} posts before T served, "
        f"{len(posts_after & served)} after T; {sum(logins)}/{len(logins)} old "
        f"logins work; repository {size / 1e6:.1f} MB"
    )
    return result(
        "restore to a point in time",
        passed,
        summary,
        restore_seconds=restore,
        backup_seconds=backup,
        repository_bytes=size,
        checksum_equal=restored == checksum,
        posts_before=len(posts_before),
        posts_before_served=len(posts_before & served),
        posts_after_served=len(posts_after & served),
        old_logins=sum(logins),
        later_logins=sum(later_logins),
    )


def _account(client: httpx.Client, posts: int) -> dict:
    """A new account with `posts` published posts; its credentials and titles."""
    credentials = {
        "email": f"drill-{secrets.token_hex(6)}@example.com",
        "password": secrets.token_urlsafe(16),
    }
    client.post("/api/v1/auth/register/", json=credentials).raise_for_status()
    token = client.post("/api/v1/auth/token/", json=credentials)
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access']}"}
    created = []
    for _ in range(posts):
        title = f"drill {secrets.token_hex(6)}"
        response = client.post(
            "/api/v1/posts/",
            json={"title": title, "body": "restore drill", "published": True},
            headers=headers,
        )
        response.raise_for_status()
        created.append((response.json()["id"], title))
    return {"credentials": credentials, "posts": created}


def _moment(project: Project) -> tuple[str, str]:
    """T (the database's clock, UTC, ISO 8601) and the tables' checksum at T."""
    row = project.sql(
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
        f"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '|' || {CHECKSUM}"
    )
    moment, checksum = row.split("|")
    return moment, checksum


def _destroy(project: Project) -> None:
    """Stops PostgreSQL and deletes its volume: every table, every file, gone."""
    project.run(*project.compose, "rm", "--stop", "--force", "db", "backup")
    project.run("docker", "volume", "rm", f"{project.name}_pgdata")


def _served(client: httpx.Client, accounts: list[dict]) -> set[tuple[int, str]]:
    """The (id, title) of the accounts' posts that Nginx serves, as created."""
    served = set()
    for post_id, title in (post for account in accounts for post in account["posts"]):
        response = client.get(f"/api/v1/posts/{post_id}/")
        if response.status_code == 200 and response.json()["title"] == title:
            served.add((post_id, title))
    return served


def _logs_in(client: httpx.Client, account: dict) -> bool:
    response = client.post("/api/v1/auth/token/", json=account["credentials"])
    return response.status_code == 200


def _repository_size(project: Project) -> int:
    out = project.run(
        *project.compose, "exec", "-T", "s3", "python", "-c", REPOSITORY_SIZE
    )
    return int(out.strip().splitlines()[-1])


def _timed(action) -> float:
    started = time.monotonic()
    action()
    return round(time.monotonic() - started, 1)
