"""Real PNG images for uploads, made here so no test depends on a file."""

from io import BytesIO

from PIL import Image


def png(size=(320, 240)) -> bytes:
    """A grey gradient: real detail, so the file is neither trivial nor large.

    4000x4000 is still a small upload but most of a second to thumbnail, which
    the drills use to find tasks in flight.
    """
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    output = BytesIO()
    image.save(output, "PNG")
    return output.getvalue()
