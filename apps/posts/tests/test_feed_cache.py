"""The cached public feed: anonymous list pages in Redis, outdated by every write.

Writes run inside django_capture_on_commit_callbacks(execute=True): the feed is
outdated on commit, and a test's transaction never commits by itself.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts import services as account_services
from apps.posts import feed_cache, services
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

LIST = reverse("post-list")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def anonymous_titles(**params):
    response = APIClient().get(LIST, params)
    assert response.status_code == 200, response.content
    return [post["title"] for post in response.json()["results"]]


def queries_for(client, **params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, params).status_code == 200
    return len(queries)


def test_a_repeated_anonymous_page_is_served_without_a_query():
    PostFactory(title="cached")
    client = APIClient()
    assert queries_for(client) == 1
    assert queries_for(client) == 0
    assert anonymous_titles() == ["cached"]


@pytest.mark.parametrize(
    "params",
    [{"search": "celery"}, {"page_size": 1}, {"author": 1}, {"utm": "x"}],
    ids=["filter", "page-size", "author", "unknown-parameter"],
)
def test_a_query_string_is_always_read_from_postgresql(params):
    # Only the front page is cached: no client can mint entries with parameters.
    PostFactory(title="Celery tips")
    client = APIClient()
    assert queries_for(client, **params) == queries_for(client, **params) == 1


def test_a_deeper_page_is_read_from_postgresql():
    PostFactory.create_batch(3)
    client = APIClient()
    following = client.get(LIST, {"page_size": 1}).json()["next"]
    with CaptureQueriesContext(connection) as queries:
        client.get(following)
        client.get(following)
    assert len(queries) == 2


def test_a_signed_in_caller_without_drafts_is_served_the_cached_page(user):
    PostFactory(title="public")
    PostFactory(title="published by the caller", author=user)
    expected = anonymous_titles()
    client = APIClient()
    client.force_authenticate(user)
    # The check for drafts, then nothing: its answer is cached too.
    assert queries_for(client) == 1
    assert queries_for(client) == 0
    titles = [post["title"] for post in client.get(LIST).json()["results"]]
    assert titles == expected


def test_a_signed_in_caller_with_drafts_is_never_served_from_the_cache(user):
    PostFactory(title="public")
    PostFactory(title="draft", author=user, published=False)
    anonymous_titles()
    client = APIClient()
    client.force_authenticate(user)
    assert queries_for(client) == 2  # the check for drafts, and the page
    assert queries_for(client) == 1  # the page: the check's answer is cached
    titles = [post["title"] for post in client.get(LIST).json()["results"]]
    assert titles == ["draft", "public"]
    assert anonymous_titles() == ["public"]


def test_a_new_draft_takes_the_caller_off_the_cached_page(user, commit):
    PostFactory(title="public")
    client = APIClient()
    client.force_authenticate(user)
    client.get(LIST)
    with commit():
        services.post_create(author=user, title="draft", published=False)
    titles = [post["title"] for post in client.get(LIST).json()["results"]]
    assert titles == ["draft", "public"]
    assert anonymous_titles() == ["public"]


def test_staff_are_never_served_from_the_cache(staff_user):
    PostFactory(title="public")
    PostFactory(title="someone's draft", published=False)
    anonymous_titles()
    client = APIClient()
    client.force_authenticate(staff_user)
    assert queries_for(client) == queries_for(client) == 1
    assert len(client.get(LIST).json()["results"]) == 2


def test_a_page_cached_for_a_signed_in_caller_holds_no_draft(user, monkeypatch):
    # A draft the caller creates after the check for drafts stays theirs.
    PostFactory(title="public")
    monkeypatch.setattr(
        "apps.posts.selectors.post_author_has_drafts", lambda *, user: False
    )
    PostFactory(title="draft", author=user, published=False)
    client = APIClient()
    client.force_authenticate(user)
    assert [p["title"] for p in client.get(LIST).json()["results"]] == ["public"]
    assert anonymous_titles() == ["public"]


def test_creating_a_post_outdates_the_feed(user, commit):
    PostFactory(title="old")
    assert anonymous_titles() == ["old"]
    with commit():
        services.post_create(author=user, title="new", published=True)
    assert anonymous_titles() == ["new", "old"]


def test_updating_and_deleting_a_post_outdate_the_feed(commit):
    post = PostFactory(title="before")
    assert anonymous_titles() == ["before"]
    with commit():
        services.post_update(post=post, title="after")
    assert anonymous_titles() == ["after"]
    with commit():
        services.post_delete(post=post)
    assert anonymous_titles() == []


def test_unpublishing_in_the_admin_outdates_the_feed(admin_client, commit):
    post = PostFactory(title="visible")
    assert anonymous_titles() == ["visible"]
    change = reverse("admin:posts_post_change", args=[post.pk])
    form = {"author": post.author_id, "title": "visible", "body": "", "published": ""}
    with commit():
        assert admin_client.post(change, form).status_code == 302
    assert anonymous_titles() == []


def test_a_finished_thumbnail_outdates_the_feed(user, png, commit):
    with commit():
        post = services.post_create(author=user, title="T", image=png, published=True)
    statuses = [p["image_status"] for p in APIClient().get(LIST).json()["results"]]
    assert statuses == ["processing"]
    with commit():
        services.post_generate_thumbnail(post_id=post.pk, image_name=post.image.name)
    statuses = [p["image_status"] for p in APIClient().get(LIST).json()["results"]]
    assert statuses == ["ready"]


def test_an_authors_new_name_outdates_the_feed(user, commit):
    PostFactory(author=user)
    anonymous_titles()
    with commit():
        account_services.user_update(user=user, first_name="Ada")
    authors = [p["author"] for p in APIClient().get(LIST).json()["results"]]
    assert authors[0]["first_name"] == "Ada"


def test_a_rolled_back_write_leaves_the_cached_page_valid(user, commit):
    PostFactory(title="kept")
    client = APIClient()
    queries_for(client)
    with commit(), pytest.raises(RuntimeError):
        _create_then_fail(author=user)
    assert queries_for(client) == 0


def test_a_write_committed_while_a_page_is_read_is_not_hidden():
    # The page read before the commit is stored under the version it started
    # with, so the next caller rebuilds instead of reading the stale page.
    def build_while_a_write_commits():
        feed_cache._new_version()
        return {"results": ["stale"]}

    url = "http://testserver/api/v1/posts/"
    assert feed_cache.cached_page(url, build_while_a_write_commits)["results"] == [
        "stale"
    ]
    assert feed_cache.cached_page(url, lambda: {"results": ["fresh"]}) == {
        "results": ["fresh"]
    }


def test_zero_seconds_turns_the_cache_off(settings):
    settings.FEED_CACHE_SECONDS = 0
    PostFactory()
    client = APIClient()
    assert queries_for(client) == queries_for(client) == 1


def test_the_feed_is_served_from_postgresql_while_redis_is_down(
    monkeypatch, dead_cache
):
    monkeypatch.setattr(feed_cache, "cache", dead_cache)
    PostFactory(title="still served")
    assert anonymous_titles() == anonymous_titles() == ["still served"]


@transaction.atomic
def _create_then_fail(*, author):
    Post.objects.create(author=author, title="gone", published=True)
    raise RuntimeError("rolled back")
