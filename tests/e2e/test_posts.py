"""Posts through Nginx: an image upload, its thumbnail from the real worker, deletion.

The thumbnail task travels through the stack's Redis to its Celery worker and
reads and writes the S3 stand-in; the files are fetched back through Nginx's
/media/, exactly as a client would.
"""

from io import BytesIO

import httpx
from PIL import Image

from tests.support.api import POSTS, new_user
from tests.support.images import png
from tests.support.waits import wait_until

THUMBNAIL_DEADLINE = 60  # seconds; a thumbnail normally takes well under one


def create_post(client, headers, data, filename="photo.png"):
    response = client.post(
        POSTS,
        data={"title": "E2E post", "published": "true"},
        files={"image": (filename, data, "image/png")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def wait_for_thumbnail(client, headers, post_id):
    """The post once its image status settles."""

    def settled():
        post = client.get(f"{POSTS}{post_id}/", headers=headers).json()
        return post if post["image_status"] in ("ready", "failed") else None

    return wait_until(settled, timeout=THUMBNAIL_DEADLINE, what="the thumbnail")


def test_image_post_gets_a_thumbnail_and_delete_removes_both_files(stack, client):
    headers = new_user(client, prefix="e2e-posts")
    original = png((640, 480))
    created = create_post(client, headers, original)
    assert created["image_status"] == "processing"
    assert created["image"].startswith(f"{stack.base_url}/media/posts/images/")

    post = wait_for_thumbnail(client, headers, created["id"])
    assert post["image_status"] == "ready", post
    assert post["thumbnail"].startswith(f"{stack.base_url}/media/posts/thumbnails/")

    image = httpx.get(post["image"])
    assert image.status_code == 200
    assert image.content == original
    assert image.headers["Content-Type"] == "image/png"
    thumbnail = httpx.get(post["thumbnail"])
    assert thumbnail.status_code == 200, thumbnail.text
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    with Image.open(BytesIO(thumbnail.content)) as decoded:
        assert decoded.format == "JPEG"
        assert max(decoded.size) == 320

    # Anyone reads a published post; only its author (or staff) deletes it.
    assert client.get(f"{POSTS}{post['id']}/").status_code == 200
    other = new_user(client, prefix="e2e-posts")
    refused = client.delete(f"{POSTS}{post['id']}/", headers=other)
    assert refused.status_code == 403, refused.text

    deleted = client.delete(f"{POSTS}{post['id']}/", headers=headers)
    assert deleted.status_code == 204, deleted.text
    assert client.get(f"{POSTS}{post['id']}/", headers=headers).status_code == 404
    # The files go once the delete has committed, before the response is sent.
    assert httpx.get(post["image"]).status_code == 404
    assert httpx.get(post["thumbnail"]).status_code == 404


def test_a_corrupt_image_ends_failed_without_retrying(client):
    headers = new_user(client, prefix="e2e-posts")
    # Pillow's verify() passes a truncated JPEG; decoding it in the worker fails.
    output = BytesIO()
    Image.linear_gradient("L").resize((400, 400)).save(output, "JPEG")
    truncated = output.getvalue()[: len(output.getvalue()) // 2]
    created = create_post(client, headers, truncated, filename="cut.jpg")

    post = wait_for_thumbnail(client, headers, created["id"])
    assert post["image_status"] == "failed", post
    assert "cannot be decoded" in post["image_error"]
    assert post["thumbnail"] is None


def test_a_non_image_upload_is_400_in_the_error_shape(client):
    headers = new_user(client, prefix="e2e-posts")
    response = client.post(
        POSTS,
        data={"title": "not an image"},
        files={"image": ("x.png", b"<html>not a png</html>", "image/png")},
        headers=headers,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("validation_error", ["image"])
    assert body["request_id"] == response.headers["X-Request-ID"]
