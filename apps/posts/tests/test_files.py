"""Storage keys of post files are random (a thumbnail's is its image's); the
client's filename never reaches them."""

from types import SimpleNamespace

import pytest

from apps.posts import files


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("image.png", ".png"),
        ("../../etc/passwd", ""),
        ("x.PHP", ".php"),
        ("a.tar.gz", ".gz"),
        ("evil.png/../../x", ""),
        ("no-suffix", ""),
    ],
)
def test_image_keys_are_random_under_the_prefix(filename, suffix):
    key = files.image_upload_to(None, filename)
    assert key.startswith(files.IMAGE_PREFIX)
    assert "/" not in key.removeprefix(files.IMAGE_PREFIX)
    assert ".." not in key
    assert key.endswith(suffix)
    assert len(key.removeprefix(files.IMAGE_PREFIX).removesuffix(suffix)) == 32


def test_every_image_key_is_new():
    assert files.image_upload_to(None, "a.png") != files.image_upload_to(None, "a.png")


def test_a_thumbnail_key_is_its_images():
    image = files.image_upload_to(None, "photo.png")
    post = SimpleNamespace(image=SimpleNamespace(name=image))
    key = files.thumbnail_upload_to(post, "thumbnail.jpg")
    stem = image.removeprefix(files.IMAGE_PREFIX).removesuffix(".png")
    assert key == f"{files.THUMBNAIL_PREFIX}{stem}.jpg"
