"""Image checks decode the file; thumbnails are bounded JPEGs."""

import struct
import zlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from apps.posts import images
from apps.posts.tests.factories import image_bytes, image_upload


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_header_only(width, height):
    """A tiny PNG whose header declares a huge canvas: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"")
        + png_chunk(b"IEND", b"")
    )


def error_code(upload):
    with pytest.raises(ValidationError) as excinfo:
        images.validate_image(upload)
    return excinfo.value.code


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_accepts_the_allowed_formats_and_rewinds(image_format):
    upload = image_upload(image_format)
    assert images.validate_image(upload) == image_format
    assert upload.tell() == 0


def test_format_comes_from_decoding_not_from_the_name_or_content_type():
    upload = image_upload("JPEG", name="evil.png", content_type="text/html")
    assert images.validate_image(upload) == "JPEG"


def test_rejects_a_non_image_whatever_its_name():
    upload = image_upload(data=b"<script>alert(1)</script>", name="x.png")
    assert error_code(upload) == "invalid_image"


def test_rejects_a_truncated_png():
    upload = image_upload(data=image_bytes("PNG", (300, 300))[:200])
    assert error_code(upload) == "invalid_image"


def test_rejects_a_format_not_allowed(settings):
    settings.UPLOAD_ALLOWED_FORMATS = ["PNG"]
    assert error_code(image_upload("GIF")) == "unsupported_format"


def test_rejects_an_oversize_file_before_decoding(settings):
    settings.UPLOAD_MAX_BYTES = 100
    assert error_code(image_upload("PNG", size=(200, 200))) == "too_large"


def test_rejects_more_pixels_than_allowed(settings):
    settings.UPLOAD_MAX_PIXELS = 64 * 48 - 1
    assert error_code(image_upload("PNG", size=(64, 48))) == "too_many_pixels"


def test_pillows_global_limit_is_set_once_not_per_check(settings):
    assert Image.MAX_IMAGE_PIXELS == settings.UPLOAD_MAX_PIXELS  # by PostsConfig
    settings.UPLOAD_MAX_PIXELS = 64 * 48 - 1
    assert error_code(image_upload("PNG", size=(64, 48))) == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS != settings.UPLOAD_MAX_PIXELS


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_rejects_a_decompression_bomb_from_its_header(settings, side):
    # 10,000^2 is past the limit (Pillow's warning zone), 100,000^2 far past it
    # (Pillow's own DecompressionBombError); both are refused from the header.
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    upload = image_upload(data=png_header_only(side, side))
    assert error_code(upload) == "too_many_pixels"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_rejects_a_bomb_when_pillow_only_warns(settings):
    # Production does not turn warnings into errors: the explicit check refuses it.
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    upload = image_upload(data=png_header_only(7_000, 7_000))
    assert error_code(upload) == "too_many_pixels"


def test_render_thumbnail_is_a_bounded_jpeg():
    thumbnail = images.render_thumbnail(image_bytes("PNG", (1000, 500)))
    with Image.open(BytesIO(thumbnail)) as image:
        assert image.format == "JPEG"
        assert image.size == (320, 160)


def test_render_thumbnail_flattens_transparency_onto_white():
    data = image_bytes("PNG", (10, 10), mode="RGBA")
    transparent = BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(transparent, "PNG")
    thumbnail = images.render_thumbnail(transparent.getvalue())
    with Image.open(BytesIO(thumbnail)) as image:
        assert image.getpixel((5, 5)) >= (250, 250, 250)
    assert images.render_thumbnail(data)


def test_render_thumbnail_of_a_truncated_jpeg_is_a_decode_error():
    # verify() accepts a truncated JPEG; the full decode in the task does not.
    data = image_bytes("JPEG", (300, 300))
    truncated = data[: len(data) // 2]
    assert images.validate_image(image_upload(data=truncated)) == "JPEG"
    with pytest.raises(images.ImageDecodeError, match="cannot be decoded"):
        images.render_thumbnail(truncated)


def test_extension_and_content_type_follow_the_format():
    assert images.extension_for("JPEG") == ".jpg"
    assert images.content_type_for("PNG") == "image/png"
    assert images.content_type_for("BMP") == "application/octet-stream"
