"""The benchmark's own account, and the image its drills upload."""

import httpx

from tests.support import api, images

EMAIL = "bench@example.com"
PASSWORD = "bench-" + "correct-horse-battery"
# Many pixels in a small upload: most of a second to thumbnail, so a drill
# finds tasks in flight.
DRILL_IMAGE_SIZE = (4000, 4000)


def access_token(base_url: str, *, email: str = EMAIL, password: str = PASSWORD) -> str:
    """A JWT access token for the benchmark's account, registering it if needed."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return api.access_token(client, email=email, password=password)


def drill_image() -> bytes:
    return images.png(DRILL_IMAGE_SIZE)
