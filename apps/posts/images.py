"""Image checks and thumbnails with Pillow; no storage, no database.

An upload is trusted only after Pillow has decoded it: its name and declared
content type are the client's claims, not facts.
"""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_QUALITY = 85

# Extension and content type stored with each accepted format.
FORMATS = {
    "JPEG": (".jpg", "image/jpeg"),
    "PNG": (".png", "image/png"),
    "WEBP": (".webp", "image/webp"),
    "GIF": (".gif", "image/gif"),
}

# Everything Pillow raises for bytes it cannot decode: a bad header, truncated or
# inconsistent data. Decoding happens in memory, so an OSError here is never I/O.
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError)
# Raised by Pillow for images over its pixel limit (the warning when warnings are
# errors, as in the test suite).
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageDecodeError(Exception):
    """The stored image cannot be turned into a thumbnail."""


def validate_image(file) -> str:
    """Check an upload's size, pixel count and decoded format; return the format.

    Raises django.core.exceptions.ValidationError. Leaves the file at position 0.
    """
    max_bytes = settings.UPLOAD_MAX_BYTES
    if file.size > max_bytes:
        raise ValidationError(
            f"The file is larger than {max_bytes} bytes.", code="too_large"
        )
    try:
        image_format = _verified_format(file)
    finally:
        file.seek(0)
    allowed = allowed_formats()
    if image_format not in allowed:
        raise ValidationError(
            f"Unsupported image format {image_format}; "
            f"allowed: {', '.join(sorted(allowed))}.",
            code="unsupported_format",
        )
    return image_format


def allowed_formats() -> set[str]:
    return {name.strip().upper() for name in settings.UPLOAD_ALLOWED_FORMATS}


def extension_for(image_format: str) -> str:
    return FORMATS.get(image_format, (f".{image_format.lower()}", None))[0]


def content_type_for(image_format: str) -> str:
    return FORMATS.get(image_format, (None, "application/octet-stream"))[1]


def render_thumbnail(data: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_SIZE, upright per EXIF. Raises ImageDecodeError."""
    try:
        with _open(BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMBNAIL_SIZE)
            output = BytesIO()
            _flatten(image).save(
                output, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True
            )
    except _BOMB_ERRORS as exc:
        raise ImageDecodeError("The image has too many pixels.") from exc
    except _DECODE_ERRORS as exc:
        raise ImageDecodeError(f"The image cannot be decoded: {exc}") from exc
    return output.getvalue()


def _verified_format(file) -> str:
    try:
        with _open(file) as image:
            image_format = image.format
            # verify() walks the file's structure (chunks, checksums) without
            # decoding every pixel; the thumbnail task decodes it fully later.
            image.verify()
    except _BOMB_ERRORS as exc:
        raise _too_many_pixels() from exc
    except _DECODE_ERRORS as exc:
        raise ValidationError(
            "Upload a valid image; the file is not an image or is corrupted.",
            code="invalid_image",
        ) from exc
    return image_format


def set_pillow_pixel_limit() -> None:
    """Give Pillow's own decompression-bomb guard the limit from settings, once.

    Image.MAX_IMAGE_PIXELS is process-global: set at start-up (PostsConfig.ready),
    never per call. Pillow warns past it and raises past twice it; `_open` refuses
    everything past the setting as read at the time of the call.
    """
    Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS


def _open(fp) -> Image.Image:
    """Image.open, then the pixel limit from settings (the decompression-bomb guard).

    Pillow only reads the header here, so an oversized image is refused before
    its pixels are decompressed.
    """
    limit = settings.UPLOAD_MAX_PIXELS
    image = Image.open(fp)
    if image.width * image.height > limit:
        raise Image.DecompressionBombError(f"{image.size} exceeds {limit} pixels")
    return image


def _too_many_pixels():
    return ValidationError(
        f"The image has more than {settings.UPLOAD_MAX_PIXELS} pixels.",
        code="too_many_pixels",
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas become white rather than black."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")
