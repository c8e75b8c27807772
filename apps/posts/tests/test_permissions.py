"""The permission matrix of /api/v1/posts/: every actor against every verb.

One declarative table drives every case. A refused write must change nothing.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.tests.factories import UserFactory
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "other", "author", "staff")

# (action, the post acted on, expected status per actor in ACTORS order)
MATRIX = [
    ("list", None, (200, 200, 200, 200)),
    ("retrieve", "published", (200, 200, 200, 200)),
    ("retrieve", "draft", (404, 404, 200, 200)),
    ("create", None, (401, 201, 201, 201)),
    ("patch", "published", (401, 403, 200, 200)),
    ("patch", "draft", (401, 404, 200, 200)),
    ("delete", "published", (401, 403, 204, 204)),
    ("delete", "draft", (401, 404, 204, 204)),
]

CASES = [
    pytest.param(action, target, actor, expected, id=f"{action}-{target}-{actor}")
    for action, target, statuses in MATRIX
    for actor, expected in zip(ACTORS, statuses, strict=True)
]


@pytest.fixture
def author():
    return UserFactory()


@pytest.fixture
def clients(author):
    users = {
        "other": UserFactory(),
        "author": author,
        "staff": UserFactory(is_staff=True),
    }
    clients = {"anonymous": APIClient()}
    for name, user in users.items():
        clients[name] = APIClient()
        clients[name].force_authenticate(user=user)
    return clients


def send(client, action, post):
    if action == "list":
        return client.get(reverse("post-list"))
    if action == "create":
        return client.post(reverse("post-list"), {"title": "New"})
    url = reverse("post-detail", args=[post.pk])
    if action == "retrieve":
        return client.get(url)
    if action == "patch":
        return client.patch(url, {"title": "Changed"})
    return client.delete(url)


@pytest.mark.parametrize(("action", "target", "actor", "expected"), CASES)
def test_permission_matrix(clients, author, action, target, actor, expected):
    post = PostFactory(author=author, title="Original", published=target != "draft")
    posts_before = Post.objects.count()

    response = send(clients[actor], action, post)

    assert response.status_code == expected, response.content
    if expected >= 400:
        body = response.json()
        assert body["status"] == expected
        assert set(body) >= {"code", "detail", "request_id"}
        post.refresh_from_db()  # still there
        assert post.title == "Original"
        assert Post.objects.count() == posts_before
    elif action == "patch":
        post.refresh_from_db()
        assert post.title == "Changed"
    elif action == "delete":
        assert not Post.objects.filter(pk=post.pk).exists()
