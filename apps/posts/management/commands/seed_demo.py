"""`manage.py seed_demo`: demo users and posts for development and benchmarks.

Bulk inserts make 10,000 posts a matter of seconds. Running it again tops the
demo data up to the requested counts rather than duplicating it; --reset deletes
the demo users (and their posts) first. Only demo users' rows are ever touched.
"""

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.posts import feed_cache
from apps.posts.models import Post

DEMO_DOMAIN = "demo.example.com"
BATCH = 2000
PUBLISHED_SHARE = 0.8
WORDS = [
    "storage",
    "queue",
    "worker",
    "thumbnail",
    "request",
    "cache",
    "index",
    "replica",
    "deploy",
    "config",
    "image",
    "schema",
    "token",
    "commit",
    "rollback",
    "backoff",
    "retry",
    "latency",
    "log",
    "metric",
]


class Command(BaseCommand):
    help = "Load demo users and posts with bulk inserts (idempotent; --reset)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100)
        parser.add_argument("--posts", type=int, default=1000)
        parser.add_argument(
            "--password",
            help="Password of every demo user. Without it they cannot log in.",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data first."
        )

    @transaction.atomic
    def handle(self, *args, users, posts, password, reset, **options):
        if reset:
            deleted, _ = demo_users().delete()
            self.stdout.write(f"Deleted {deleted} demo rows.")
        authors = ensure_users(count=users, password=password)
        created = top_up_posts(authors=authors, count=posts)
        # Bulk writes send no model signals: outdate the cached feed here.
        feed_cache.invalidate()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(authors)} demo users, {created} posts added "
                f"({demo_posts().count()} in total)."
            )
        )


def demo_users():
    return get_user_model().objects.filter(email__endswith=f"@{DEMO_DOMAIN}")


def demo_posts():
    return Post.objects.filter(author__email__endswith=f"@{DEMO_DOMAIN}")


def ensure_users(*, count: int, password: str | None) -> list:
    """The first `count` demo users, creating the missing ones."""
    User = get_user_model()
    emails = [f"demo{n}@{DEMO_DOMAIN}" for n in range(1, count + 1)]
    # One hash for all: hashing is deliberately slow, and these are demo accounts.
    hashed = make_password(password)
    User.objects.bulk_create(
        [User(email=email, password=hashed) for email in emails],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return list(User.objects.filter(email__in=emails).order_by("id"))


def top_up_posts(*, authors: list, count: int) -> int:
    """Add posts by `authors` until the demo users have `count`; returns how many."""
    missing = count - demo_posts().count()
    if missing <= 0 or not authors:
        return 0
    rng = random.Random(missing)  # noqa: S311 - demo text, not security
    # Batches built one at a time: bulk_create would hold every object at once.
    for start in range(0, missing, BATCH):
        batch = range(start, min(start + BATCH, missing))
        Post.objects.bulk_create(_post(rng, authors[n % len(authors)]) for n in batch)
    return missing


def _post(rng: random.Random, author) -> Post:
    return Post(
        author=author,
        title=" ".join(rng.choices(WORDS, k=4)).capitalize(),
        body=" ".join(rng.choices(WORDS, k=60)),
        published=rng.random() < PUBLISHED_SHARE,
    )
