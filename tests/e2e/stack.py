"""The end-to-end suite's compose project, and the constants its tests share."""

import secrets
import shutil
import subprocess
from dataclasses import dataclass, field

from tests.support.compose import ROOT, ComposeProject

WEB_REPLICAS = 3
# Sync workers per web replica (gunicorn.conf.py's default, set explicitly so the
# tests that fill a replica know its size).
GUNICORN_WORKERS = 4
# The tag of every image the session builds (IMAGE_TAG): its own, so that another
# checkout's build of :latest is never run nor replaced mid-run. The session
# removes these tags at its end (the layers stay cached).
RUN_TAG = f"e2e-{secrets.token_hex(4)}"
OUR_IMAGES = ("app", "app-test", "app-dev", "postgres", "s3", "nginx", "prometheus")


@dataclass
class Stack(ComposeProject):
    """The stack under test, published on 127.0.0.1:port."""

    port: int = 0
    # The web replicas' logs from their first start, before any test recreates them.
    startup_logs: str = field(default="", repr=False)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args, **kwargs):
        return self.exec("web", "python", "manage.py", *args, **kwargs)


def copy_tracked_files(clone):
    """The repository's tracked files in `clone`, as a user's fresh clone has them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone
