"""The restore drill: data written, backed up, destroyed and restored to a moment.

Accounts and posts are created through Nginx; `make backup` takes a full backup;
more are written; the moment T is noted with a checksum of the tables as they are
then; more are written after T. The database volume is then deleted outright, and
`make restore TARGET_TIME=T` brings it back from the repository (base backup plus
archived WAL). It passes when the tables' checksum equals the one taken at T (the
same rows, not merely as many), Nginx serves the posts written before T and none
after, and the accounts made before T log in with their old passwords.

It runs against any ComposeProject with a `base_url`: `make drills` uses the
benchmark's stack, tests/e2e/test_backups.py one of its own. The S3 stand-in is
never restarted: it holds the repository in memory.
"""

import secrets
import time

import httpx

from bench.drills.outcome import result
from tests.support.compose import ComposeProject, run

TABLES = ("accounts_user", "posts_post")
# One md5 over every row of every table, in key order: equal only for the same rows.
CHECKSUM = " || ".join(
    f"(SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '') FROM {name} t)"
    for name in TABLES
)
# How many rows that checksum covers.
ROWS = " + ".join(f"(SELECT count(*) FROM {name})" for name in TABLES)
REPOSITORY_SIZE = """
import boto3, os
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:5000", region_name="us-east-1",
    aws_access_key_id="x", aws_secret_access_key="x")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ["BACKUP_BUCKET"])
print(sum(o["Size"] for page in pages for o in page.get("Contents", [])))
"""


def make(project: ComposeProject, target: str, **variables: str) -> str:
    """`make TARGET` run on `project`: the Makefile's compose is the project's."""
    assigned = [f"{name}={value}" for name, value in variables.items()]
    compose = " ".join(project.compose_command())
    command = ["make", "--no-print-directory", target, *assigned, f"COMPOSE={compose}"]
    return run(command, env=project.environment(), timeout=600).stdout


def restore_drill(project: ComposeProject, *, quick: bool, log=print) -> dict:
    users = 2 if quick else 5
    posts = 3 if quick else 40
    _forget_throttles(project)
    with httpx.Client(base_url=project.base_url, timeout=30) as client:
        before = [_account(client, posts) for _ in range(users)]
        backup = _timed(lambda: make(project, "backup"))
        before += [_account(client, posts) for _ in range(users)]
        moment, checksum, rows = _moment(project)
        time.sleep(1.1)  # every later commit is stamped after T
        after = [_account(client, posts) for _ in range(users)]
        # Archives the WAL segment holding T and the later writes.
        project.exec("backup", "pgbackrest", "check")
        log(f"restore drill: T={moment}; deleting the database volume")
        _destroy(project)
        restore = _timed(lambda: make(project, "restore", TARGET_TIME=moment))
        restored = project.psql(f"SELECT {CHECKSUM}")
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
        f"{'equal' if restored == checksum else 'DIFFERENT'} over {rows} rows; "
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
        rows_compared=rows,
        posts_before=len(posts_before),
        posts_before_served=len(posts_before & served),
        posts_after_served=len(posts_after & served),
        old_logins=sum(logins),
        later_logins=sum(later_logins),
    )


def _forget_throttles(project: ComposeProject) -> None:
    """Drop the API's throttle counters (cache keys `*throttle_*`, in Redis' db 0).

    Sign-ups are throttled per client address, and all drills come from one: the
    hostile drill's 1,000 requests before this one spend the hour's budget, and
    the drill's own accounts would be refused with 429.
    """
    project.exec(
        "redis", "redis-cli", "-n", "0", "EVAL",
        "for _, key in ipairs(redis.call('KEYS', ARGV[1])) do "
        "redis.call('DEL', key) end",
        "0", "*throttle_*",
    )  # fmt: skip


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


def _moment(project: ComposeProject) -> tuple[str, str, int]:
    """T (the database's clock, UTC, ISO 8601), the tables' checksum at T and the
    rows it covers, read in one statement."""
    row = project.psql(
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
        f"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '|' || {CHECKSUM} || '|' || ({ROWS})",
    )
    moment, checksum, rows = row.split("|")
    return moment, checksum, int(rows)


def _destroy(project: ComposeProject) -> None:
    """Stops PostgreSQL and deletes its volume: every table, every file, gone."""
    project.compose("rm", "--stop", "--force", "db", "backup")
    run(["docker", "volume", "rm", f"{project.project}_pgdata"])


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


def _repository_size(project: ComposeProject) -> int:
    out = project.exec("s3", "python", "-c", REPOSITORY_SIZE).stdout
    return int(out.strip().splitlines()[-1])


def _timed(action) -> float:
    started = time.monotonic()
    action()
    return round(time.monotonic() - started, 1)
