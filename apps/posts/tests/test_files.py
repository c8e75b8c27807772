"""Storage keys of post files are random; the client's filename never reaches them."""

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


def test_every_key_is_new():
    assert files.image_upload_to(None, "a.png") != files.image_upload_to(None, "a.png")
    assert files.thumbnail_upload_to(None, "x").startswith(files.THUMBNAIL_PREFIX)
