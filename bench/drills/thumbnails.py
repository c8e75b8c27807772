"""What the drills read about thumbnails: posts still waiting, work done twice."""

import re
from collections import Counter

from bench.stack import Stack

_READY = re.compile(r"thumbnail of post (\d+) is ready")


def processing(stack: Stack, ids: list[int]) -> list[int]:
    """Which of these posts still wait for their thumbnail."""
    if not ids:
        return []
    listed = ",".join(str(int(i)) for i in ids)
    rows = stack.sql(
        f"SELECT id FROM posts_post WHERE id IN ({listed}) "
        "AND image_status = 'processing'"
    )
    return [int(row[0]) for row in rows]


def statuses(stack: Stack, ids: list[int]) -> dict[str, int]:
    """How many of these posts are in each image_status."""
    if not ids:
        return {}
    listed = ",".join(str(int(i)) for i in ids)
    rows = stack.sql(
        f"SELECT image_status, count(*) FROM posts_post WHERE id IN ({listed}) "
        "GROUP BY image_status"
    )
    return {status: int(count) for status, count in rows}


def generated(worker_logs: str, ids: list[int]) -> Counter:
    """How many times the worker logged a finished thumbnail for each post."""
    wanted = {int(i) for i in ids}
    return Counter(
        int(match.group(1))
        for match in _READY.finditer(worker_logs)
        if int(match.group(1)) in wanted
    )


def stored(stack: Stack) -> int:
    """Thumbnail files in the bucket."""
    out = stack.exec(
        "web", "python", "manage.py", "shell", "-c",
        "from django.core.files.storage import default_storage as s; "
        "print(len(s.listdir('posts/thumbnails/')[1]))",
    ).stdout  # fmt: skip
    return int(out.strip().splitlines()[-1])
