"""API tests for /api/v1/posts/: every endpoint and its error paths.

Who may do what is covered by test_permissions.py; this module covers the rest.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.tests.factories import UserFactory
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory, image_upload
from apps.posts.tests.test_images import png_header_only

pytestmark = pytest.mark.django_db

LIST = reverse("post-list")


def detail(post):
    return reverse("post-detail", args=[post.pk])


def assert_error(response, status, code):
    body = response.json()
    assert response.status_code == status, body
    assert (body["status"], body["code"]) == (status, code)
    assert body["detail"]
    assert "request_id" in body
    return body


def titles(response):
    assert response.status_code == 200, response.content
    return [post["title"] for post in response.json()["results"]]


def many_posts(author, count, **fields):
    return Post.objects.bulk_create(
        Post(author=author, title=f"p{n}", published=True, **fields)
        for n in range(count)
    )


def stored(storage, prefix="posts/images"):
    return storage.listdir(prefix)[1] if storage.exists(prefix) else []


# --- list -------------------------------------------------------------------------
def test_list_shows_published_posts_and_the_callers_drafts(user, auth_client):
    PostFactory(title="public")
    PostFactory(title="someone's draft", published=False)
    PostFactory(title="my draft", author=user, published=False)
    assert titles(APIClient().get(LIST)) == ["public"]
    assert titles(auth_client.get(LIST)) == ["my draft", "public"]


def test_staff_list_includes_every_draft(staff_user):
    PostFactory(title="draft", published=False)
    client = APIClient()
    client.force_authenticate(staff_user)
    assert titles(client.get(LIST)) == ["draft"]


def test_list_is_paginated_with_a_capped_page_size(user):
    many_posts(user, 105)
    client = APIClient()
    body = client.get(LIST).json()
    assert len(body["results"]) == 20
    assert "cursor=" in body["next"]
    assert body["previous"] is None
    assert "count" not in body  # keyset pages: no COUNT(*) per request
    assert len(client.get(LIST, {"page_size": 5}).json()["results"]) == 5
    assert len(client.get(LIST, {"page_size": 1000}).json()["results"]) == 100


def test_list_next_links_walk_every_post_once_in_feed_order(user):
    posts = many_posts(user, 45)
    client, url, seen = APIClient(), LIST, []
    while url:
        body = client.get(url).json()
        seen += [post["id"] for post in body["results"]]
        url = body["next"]
    expected = sorted(posts, key=lambda p: (p.created_at, p.pk), reverse=True)
    assert seen == [post.pk for post in expected]


def test_list_cursor_is_stable_when_posts_are_added_meanwhile(user):
    many_posts(user, 30)
    client = APIClient()
    first = client.get(LIST).json()
    many_posts(user, 5)  # newer than every post on the first page
    second = client.get(first["next"]).json()
    assert not {p["id"] for p in first["results"]} & {
        p["id"] for p in second["results"]
    }
    assert len(second["results"]) == 10


def test_list_with_a_malformed_cursor_is_404(api_client):
    assert_error(api_client.get(LIST, {"cursor": "bz1hYmM="}), 404, "not_found")


def test_list_filters_by_author_and_published(user, auth_client):
    PostFactory(title="mine", author=user)
    PostFactory(title="my draft", author=user, published=False)
    PostFactory(title="theirs")
    assert titles(auth_client.get(LIST, {"author": user.pk})) == ["my draft", "mine"]
    assert titles(auth_client.get(LIST, {"published": "false"})) == ["my draft"]
    assert titles(auth_client.get(LIST, {"author": 999_999})) == []


def test_list_filter_with_a_malformed_author_is_400(api_client):
    body = assert_error(
        api_client.get(LIST, {"author": "abc"}), 400, "validation_error"
    )
    assert "author" in body["fields"]


@pytest.mark.parametrize(
    "query",
    [
        {"published": "null"},
        {"published": "0"},
        {"published": "True"},
        {"author": "1.0"},
        {"page_size": "0"},
        {"page_size": "null"},
    ],
    ids=lambda query: "=".join(*query.items()),
)
def test_list_with_a_malformed_parameter_is_400_not_ignored(api_client, query):
    body = assert_error(api_client.get(LIST, query), 400, "validation_error")
    assert list(body["fields"]) == list(query)


def test_list_searches_title_and_body(api_client):
    PostFactory(title="Celery tips", body="")
    PostFactory(title="Other", body="all about celery")
    PostFactory(title="Unrelated", body="nothing")
    assert sorted(titles(api_client.get(LIST, {"search": "CELERY"}))) == [
        "Celery tips",
        "Other",
    ]


def test_list_orders_by_created_date(api_client):
    first, second = PostFactory(title="first"), PostFactory(title="second")
    assert titles(api_client.get(LIST)) == ["second", "first"]
    assert titles(api_client.get(LIST, {"ordering": "created_at"})) == [
        first.title,
        second.title,
    ]


@pytest.mark.parametrize("authenticated", [False, True])
def test_list_query_count_does_not_grow_with_page_size(user, authenticated):
    for author in UserFactory.create_batch(3):
        many_posts(author, 20)
    client = APIClient()
    if authenticated:
        client.force_authenticate(user)

    def queries_for(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(queries)

    assert queries_for(2) == queries_for(50) == 1  # one joined select, no count


def signed_in(user):
    """A client sending a real JWT, so authentication's own queries count too."""
    client = APIClient()
    access = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_anonymous_front_page_costs_one_query_then_none(
    api_client, django_assert_num_queries
):
    many_posts(UserFactory(), 5)
    with django_assert_num_queries(1):  # the joined select; then it is cached
        assert api_client.get(LIST).status_code == 200
    with django_assert_num_queries(0):
        assert api_client.get(LIST).status_code == 200


def test_signed_in_list_without_drafts_costs_the_user_alone_once_cached(
    user, django_assert_num_queries
):
    many_posts(UserFactory(), 5)
    client = signed_in(user)
    with django_assert_num_queries(3):  # the user, the check for drafts, the page
        assert client.get(LIST).status_code == 200
    with django_assert_num_queries(1):  # the cached public page and answer
        assert client.get(LIST).status_code == 200


def test_signed_in_list_with_drafts_costs_the_user_and_one_select(
    user, django_assert_num_queries
):
    many_posts(UserFactory(), 5)
    PostFactory(author=user, published=False)
    client = signed_in(user)
    with django_assert_num_queries(3):  # the user, the check for drafts, the page
        assert client.get(LIST).status_code == 200
    with django_assert_num_queries(2):  # never cached: the page shows the drafts
        assert client.get(LIST).status_code == 200


@pytest.mark.parametrize("authenticated", [False, True])
def test_detail_costs_one_select_plus_the_user(
    user, authenticated, django_assert_num_queries
):
    post = PostFactory(published=True)
    client = signed_in(user) if authenticated else APIClient()
    with django_assert_num_queries(1 + authenticated):
        assert client.get(detail(post)).status_code == 200


def test_list_item_shape(api_client):
    post = PostFactory()
    item = api_client.get(LIST).json()["results"][0]
    assert set(item) == {
        "id",
        "author",
        "title",
        "body",
        "published",
        "image",
        "thumbnail",
        "image_status",
        "image_error",
        "created_at",
        "updated_at",
    }
    assert item["author"] == {
        "id": post.author.pk,
        "first_name": post.author.first_name,
        "last_name": post.author.last_name,
    }
    assert (item["image"], item["thumbnail"], item["image_status"]) == (
        None,
        None,
        "none",
    )


# --- retrieve ---------------------------------------------------------------------
def test_retrieve_unknown_post_is_404(api_client):
    response = api_client.get(reverse("post-detail", args=[999_999]))
    assert_error(response, 404, "not_found")


# --- create -----------------------------------------------------------------------
def test_create_json(user, auth_client):
    response = auth_client.post(
        LIST, {"title": "Hello", "body": "World", "published": True}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["body"], body["published"]) == ("Hello", "World", True)
    assert body["author"]["id"] == user.pk
    assert body["image_status"] == "none"
    assert Post.objects.get(pk=body["id"]).author == user


def test_create_ignores_server_owned_fields(user, auth_client):
    other = UserFactory()
    response = auth_client.post(
        LIST,
        {
            "title": "T",
            "id": 424242,
            "author": other.pk,
            "image_status": "ready",
            "thumbnail": "posts/thumbnails/x.jpg",
            "image_error": "x",
            "created_at": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.content
    post = Post.objects.get(pk=response.json()["id"])
    assert post.pk != 424242
    assert post.author == user
    assert (post.image_status, post.thumbnail.name, post.image_error) == (
        "none",
        "",
        "",
    )
    assert post.created_at.year > 2000


def test_create_multipart_with_image_returns_absolute_urls(auth_client, media_storage):
    response = auth_client.post(
        LIST,
        {"title": "Pic", "image": image_upload("PNG")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["image"].startswith("http://testserver/media/posts/images/")
    assert body["image"].endswith(".png")
    assert body["image_status"] == "processing"
    assert body["thumbnail"] is None
    assert len(stored(media_storage)) == 1


@pytest.mark.parametrize(
    ("upload", "setting", "message"),
    [
        (lambda: image_upload(data=b"%PDF-1.4 not an image"), {}, "not an image"),
        (
            lambda: image_upload("PNG", size=(300, 300)),
            {"UPLOAD_MAX_BYTES": 200},
            "larger than",
        ),
        (lambda: image_upload("GIF"), {"UPLOAD_ALLOWED_FORMATS": ["PNG"]}, "format"),
        (
            lambda: image_upload(data=png_header_only(100_000, 100_000)),
            {},
            "pixels",
        ),
    ],
    ids=["non-image", "oversize", "bad-format", "decompression-bomb"],
)
def test_create_with_a_rejected_image_is_400_and_stores_nothing(
    auth_client, media_storage, settings, upload, setting, message
):
    for name, value in setting.items():
        setattr(settings, name, value)
    response = auth_client.post(
        LIST, {"title": "T", "image": upload()}, format="multipart"
    )
    body = assert_error(response, 400, "validation_error")
    assert list(body["fields"]) == ["image"]
    assert message in body["fields"]["image"][0]
    assert not Post.objects.exists()
    assert stored(media_storage) == []


def test_create_with_an_image_as_json_is_400(auth_client):
    response = auth_client.post(LIST, {"title": "T", "image": "aGVsbG8="})
    body = assert_error(response, 400, "validation_error")
    assert body["fields"]["image"] == [
        "Send an image as multipart/form-data, not JSON."
    ]


@pytest.mark.parametrize(
    "data",
    [{"title": 0}, {"title": "T", "published": 0}, {"title": "T", "body": 1}],
    ids=["title-number", "published-number", "body-number"],
)
def test_create_with_wrong_json_types_is_400(auth_client, data):
    assert_error(auth_client.post(LIST, data), 400, "validation_error")
    assert not Post.objects.exists()


def test_create_multipart_takes_true_and_false_only(auth_client):
    response = auth_client.post(
        LIST, {"title": "T", "published": "0"}, format="multipart"
    )
    assert "published" in assert_error(response, 400, "validation_error")["fields"]
    response = auth_client.post(
        LIST, {"title": "T", "published": "true"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["published"] is True


def test_create_with_an_empty_file_is_400(auth_client):
    response = auth_client.post(
        LIST, {"title": "T", "image": image_upload(data=b"")}, format="multipart"
    )
    assert_error(response, 400, "validation_error")


def test_create_without_title_is_400(auth_client):
    body = assert_error(auth_client.post(LIST, {"body": "x"}), 400, "validation_error")
    assert list(body["fields"]) == ["title"]


def test_create_with_too_long_fields_is_400(auth_client):
    response = auth_client.post(LIST, {"title": "x" * 201, "body": "y" * 20_001})
    body = assert_error(response, 400, "validation_error")
    assert set(body["fields"]) == {"title", "body"}


def test_create_malformed_json_is_400(auth_client):
    response = auth_client.post(LIST, "{oops", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_create_with_json_nested_too_deeply_is_400(auth_client):
    body = "[" * 100_000 + "]" * 100_000
    response = auth_client.post(LIST, body, content_type="application/json")
    assert_error(response, 400, "parse_error")
    assert not Post.objects.exists()


def test_create_with_a_body_over_the_memory_limit_is_413(auth_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "t", "body": "b" * 2000})
    response = auth_client.post(LIST, body, content_type="application/json")
    assert_error(response, 413, "request_too_large")
    assert not Post.objects.exists()


def test_create_form_urlencoded_is_415(auth_client):
    response = auth_client.post(
        LIST, "title=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


# --- update -----------------------------------------------------------------------
def test_patch_changes_given_fields_only(user, auth_client):
    post = PostFactory(author=user, title="Old", body="Body", published=False)
    response = auth_client.patch(detail(post), {"published": True})
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert (post.title, post.body, post.published) == ("Old", "Body", True)
    assert response.json()["published"] is True


def test_patch_ignores_server_owned_fields(user, auth_client):
    post = PostFactory(author=user)
    other = UserFactory()
    response = auth_client.patch(
        detail(post),
        {"author": other.pk, "image_status": "failed", "id": 1, "title": "New"},
    )
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert (post.author, post.image_status, post.title) == (user, "none", "New")


def test_patch_multipart_replaces_the_image_and_deletes_the_old_one(
    user, auth_client, media_storage, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        "apps.posts.tasks.generate_thumbnail.delay",
        lambda **kwargs: enqueued.append(kwargs["image_name"]),
    )
    post = PostFactory(author=user)
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.patch(
            detail(post), {"image": image_upload("PNG")}, format="multipart"
        ).json()["image"]
        response = auth_client.patch(
            detail(post), {"image": image_upload("JPEG")}, format="multipart"
        )
    assert response.status_code == 200, response.content
    new = response.json()["image"]
    assert new != first
    assert new.endswith(".jpg")
    assert stored(media_storage) == [new.rsplit("/", 1)[1]]
    post.refresh_from_db()
    assert enqueued[-1] == post.image.name


def test_patch_with_a_rejected_image_changes_nothing(user, auth_client):
    post = PostFactory(author=user, title="Old")
    response = auth_client.patch(
        detail(post),
        {"title": "New", "image": image_upload(data=b"junk")},
        format="multipart",
    )
    assert_error(response, 400, "validation_error")
    post.refresh_from_db()
    assert (post.title, post.image.name) == ("Old", "")


def test_patch_remove_image(user, auth_client, media_storage):
    post = PostFactory(author=user)
    auth_client.patch(detail(post), {"image": image_upload()}, format="multipart")
    response = auth_client.patch(detail(post), {"remove_image": True})
    assert response.status_code == 200, response.content
    assert (response.json()["image"], response.json()["image_status"]) == (None, "none")


def test_patch_remove_image_as_a_number_is_400(user, auth_client):
    post = PostFactory(author=user)
    response = auth_client.patch(detail(post), {"remove_image": 0})
    assert "remove_image" in assert_error(response, 400, "validation_error")["fields"]


def test_patch_multipart_refuses_remove_image(user, auth_client):
    # A form replaces the image; JSON removes it: no request does both.
    post = PostFactory(author=user)
    response = auth_client.patch(
        detail(post), {"remove_image": "true"}, format="multipart"
    )
    body = assert_error(response, 400, "validation_error")
    assert "as JSON" in body["fields"]["remove_image"][0]


def test_patch_with_an_empty_form_is_400(user, auth_client):
    post = PostFactory(author=user, title="Old")
    response = auth_client.patch(detail(post), {}, format="multipart")
    assert (
        "non_field_errors" in assert_error(response, 400, "validation_error")["fields"]
    )
    assert auth_client.patch(detail(post), {}).status_code == 200  # JSON: a no-op


def test_put_is_not_allowed(user, auth_client):
    post = PostFactory(author=user)
    response = auth_client.put(detail(post), {"title": "x"})
    assert_error(response, 405, "method_not_allowed")


# --- delete -----------------------------------------------------------------------
def test_delete_removes_the_post_and_its_files(
    user, auth_client, media_storage, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        created = auth_client.post(
            LIST, {"title": "T", "image": image_upload()}, format="multipart"
        ).json()
    post = Post.objects.get(pk=created["id"])
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(detail(post))
    assert response.status_code == 204
    assert not Post.objects.exists()
    assert stored(media_storage) == []


def test_a_search_term_with_nul_is_refused_as_the_schema_says(api_client):
    assert_error(api_client.get(LIST, {"search": "a\x00b"}), 400, "validation_error")
    assert api_client.get(LIST, {"search": " "}).status_code == 200
