"""`manage.py seed_demo` loads demo data fast, idempotently, and resets it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def seed(*args):
    output = StringIO()
    call_command("seed_demo", *args, stdout=output)
    return output.getvalue()


def demo_counts():
    users = get_user_model().objects.filter(email__endswith="@demo.example.com")
    return users.count(), Post.objects.filter(author__in=users).count()


def test_seed_demo_creates_users_and_posts_in_few_queries(
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(20):
        seed("--users", "10", "--posts", "5000")
    assert demo_counts() == (10, 5000)
    assert Post.objects.filter(published=True).count() > 3000


def test_seed_demo_is_idempotent_and_tops_up():
    seed("--users", "3", "--posts", "30")
    seed("--users", "3", "--posts", "30")
    assert demo_counts() == (3, 30)
    seed("--users", "5", "--posts", "40")
    assert demo_counts() == (5, 40)


def test_seed_demo_reset_touches_only_demo_data():
    real = PostFactory()
    seed("--users", "2", "--posts", "10")
    output = seed("--reset", "--users", "1", "--posts", "4")
    assert "Deleted" in output
    assert demo_counts() == (1, 4)
    assert Post.objects.filter(pk=real.pk).exists()


def test_seed_demo_password_lets_demo_users_log_in():
    seed("--users", "1", "--posts", "0", "--password", "demo-pass-123")
    user = get_user_model().objects.get(email="demo1@demo.example.com")
    assert user.check_password("demo-pass-123")


def test_seed_demo_users_cannot_log_in_without_a_password():
    seed("--users", "1", "--posts", "0")
    user = get_user_model().objects.get(email="demo1@demo.example.com")
    assert not user.has_usable_password()
