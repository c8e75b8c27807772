"""Backups and point-in-time recovery, on a stack of their own.

A restore deletes the database, which would break every other test of the shared
session stack, so this module starts its own compose project (one web replica,
its own port, and the `observability` profile's Prometheus, which scrapes the
backup sidecar) and removes it afterwards. The drill itself is bench's
(`bench/drills/restore.py`), shrunk; `make drills` runs it at full size.
"""

import secrets
import sys
import time

import httpx
import pytest

from bench.drills.restore import make, restore_drill
from tests.e2e.conftest import _free_port, _save_logs, _tear_down, stack_environment
from tests.e2e.stack import Stack
from tests.support.api import POSTS, new_user
from tests.support.metrics import firing, query
from tests.support.waits import wait_until


@pytest.fixture(scope="module")
def backup_stack(request):
    port, prometheus_port = _free_port(), _free_port()
    env = {
        **stack_environment(port),
        "WEB_REPLICAS": "1",
        "COMPOSE_PROFILES": "observability",
        "PROMETHEUS_PORT": str(prometheus_port),
    }
    stack = Stack(project=f"drf-backup-{secrets.token_hex(4)}", env=env, port=port)
    stack.prometheus_port = prometheus_port
    try:
        stack.compose("build", timeout=1800)
        stack.compose("up", "--detach", "--wait", "--wait-timeout", "300")
        yield stack
    finally:
        if request.session.testsfailed:
            _save_logs(stack)
        _tear_down(stack)


def test_restore_refuses_to_overwrite_a_running_database(backup_stack):
    marker = backup_stack.psql("SELECT count(*) FROM accounts_user")
    with pytest.raises(AssertionError, match="RESTORE_FORCE=1"):
        make(backup_stack, "restore")
    running = backup_stack.compose("ps", "--quiet", "--status", "running").stdout
    assert len(running.split()) >= 7, running  # nothing was stopped
    assert backup_stack.psql("SELECT count(*) FROM accounts_user") == marker


def test_a_deleted_database_is_restored_to_a_point_in_time(backup_stack):
    outcome = restore_drill(backup_stack, quick=True)
    sys.stderr.write(f"\n{outcome['line']}\n")  # the figures, for the report
    assert outcome["passed"], outcome["line"]


def test_make_backups_lists_them_with_their_time_ranges(backup_stack):
    listing = make(backup_stack, "backups")
    assert "status: ok" in listing, listing
    assert "cipher: aes-256-cbc" in listing
    assert "full backup:" in listing
    assert "timestamp start/stop:" in listing
    assert "wal archive min/max" in listing


def test_backup_status_shows_the_newest_backup_and_a_healthy_archive(
    backup_stack,
):
    shown = backup_stack.manage("backup_status").stdout
    assert "newest backup:" in shown, shown
    assert "(full)" in shown, shown
    assert "archive: ok" in shown, shown


def test_prometheus_sees_the_new_backup_and_a_healthy_archive(backup_stack):
    started = int(time.time())  # the containers share this clock
    make(backup_stack, "backup")
    port = backup_stack.prometheus_port
    newest = 'max(pgbackrest_backup_last_completion_timestamp_seconds{type="full"})'

    def scraped():
        found = query(port, newest)
        return found and found[0][1] >= started

    wait_until(scraped, timeout=90, what="the new backup's time in Prometheus")
    # The recorded age: the rules are loaded and evaluated on it. Rules run every
    # 15 s (evaluation_interval), so the first evaluation after that scrape may
    # still be to come: asking at once failed a CI run.
    ((labels, age),) = wait_until(
        lambda: query(port, "stanza:pgbackrest_backup_age_seconds:min"),
        timeout=60,
        what="the recorded backup age in Prometheus",
    )
    assert labels["stanza"] == "local"
    assert 0 <= age < 120, age
    ((_, archived),) = query(port, "pg_stat_archiver_archived_total")
    assert archived > 0
    failing = "pg_stat_archiver_last_failed_timestamp_seconds > " + (
        "pg_stat_archiver_last_archived_timestamp_seconds"
    )
    assert query(port, failing) == []
    for alert in ("BackupTooOld", "WalArchivingFailing", "BackupStateUnknown"):
        assert not firing(port, alert), alert


def test_pgbackrest_reads_its_passphrase_from_a_file(backup_stack):
    passphrase = backup_stack.env["BACKUP_CIPHER_PASS"]
    path = "/tmp/cipher-pass"  # noqa: S108 - in the container's own tmpfs
    backup_stack.exec("backup", "sh", "-c", f'printf %s "$0" > {path}', passphrase)
    from_file = {"PGBACKREST_REPO1_CIPHER_PASS": "", "BACKUP_CIPHER_PASS_FILE": path}
    listing = backup_stack.exec("backup", "pgbackrest", "info", env_vars=from_file)
    assert "status: ok" in listing.stdout, listing.stdout
    both = backup_stack.exec(
        "backup", "pgbackrest", "info", check=False,
        env_vars={"BACKUP_CIPHER_PASS_FILE": path},
    )  # fmt: skip
    assert both.returncode == 1
    assert "set BACKUP_CIPHER_PASS or BACKUP_CIPHER_PASS_FILE, not both" in both.stderr
    missing = backup_stack.exec(
        "backup", "pgbackrest", "info", check=False,
        env_vars={**from_file, "BACKUP_CIPHER_PASS_FILE": "/run/nothing-here"},
    )  # fmt: skip
    assert missing.returncode == 1
    assert "BACKUP_CIPHER_PASS_FILE=/run/nothing-here cannot be read" in missing.stderr


def test_readiness_does_not_depend_on_the_backups(backup_stack):
    backup_stack.compose("stop", "backup")
    try:
        response = httpx.get(f"{backup_stack.base_url}/readyz", timeout=10)
        assert response.status_code == 200, response.text
    finally:
        backup_stack.compose("up", "--detach", "--wait", "backup")


def test_restore_to_the_latest_over_a_running_database_keeps_every_commit(
    backup_stack,
):
    with httpx.Client(base_url=backup_stack.base_url, timeout=30) as client:
        headers = new_user(client, prefix="e2e-restore")
        title = f"latest {secrets.token_hex(6)}"
        created = client.post(POSTS, json={"title": title}, headers=headers)
        assert created.status_code == 201, created.text
        # The segment with the post reaches the archive (archive_timeout would
        # do it within a minute; check does it now).
        backup_stack.exec("backup", "pgbackrest", "check")
        started = time.monotonic()
        make(backup_stack, "restore", RESTORE_FORCE="1")
        seconds = time.monotonic() - started
        sys.stderr.write(f"\nrestore to the latest: {seconds:.1f} s\n")
        again = client.get(f"{POSTS}{created.json()['id']}/", headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["title"] == title
