"""The posts admin: search, filters, deletes that take the files, thumbnails."""

import pytest
from django.urls import reverse

from apps.posts import services
from apps.posts.models import Post
from apps.posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:posts_post_changelist")


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        email="admin@example.com", password="admin-pass-123"
    )
    client.force_login(admin)
    return client


def test_changelist_searches_and_filters(admin_client):
    PostFactory(title="Needle in a haystack", published=True)
    PostFactory(title="Other", published=False)
    found = admin_client.get(CHANGELIST, {"q": "needle"})
    assert found.status_code == 200
    assert b"Needle in a haystack" in found.content
    assert b"Other" not in found.content
    drafts = admin_client.get(CHANGELIST, {"published__exact": "0"})
    assert b"Other" in drafts.content
    assert b"Needle" not in drafts.content


def test_change_page_renders(admin_client, user, png):
    post = services.post_create(author=user, title="With image", image=png)
    response = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))
    assert response.status_code == 200
    assert post.image.name.encode() in response.content


def test_bulk_delete_removes_files(
    admin_client, user, png, media_storage, django_capture_on_commit_callbacks
):
    post = services.post_create(author=user, title="T", image=png)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "delete_selected", "_selected_action": [post.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Post.objects.exists()
    assert not media_storage.exists(post.image.name)


def test_regenerate_thumbnails_action(
    admin_client, user, png, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []
    monkeypatch.setattr(
        "apps.posts.tasks.generate_thumbnail.delay",
        lambda **kwargs: enqueued.append(kwargs["post_id"]),
    )
    post = services.post_create(author=user, title="T", image=png)
    Post.objects.filter(pk=post.pk).update(image_status=Post.ImageStatus.FAILED)
    without_image = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            CHANGELIST,
            {
                "action": "regenerate_thumbnails",
                "_selected_action": [post.pk, without_image.pk],
            },
        )
    post.refresh_from_db()
    assert post.image_status == Post.ImageStatus.PROCESSING
    assert enqueued == [post.pk]
