"""Where a post's files live in storage, and how they are removed.

Keys are random (a thumbnail's is its image's): a client's filename never reaches
storage, so it can neither traverse paths nor overwrite another post's file.
"""

import logging
import re
import uuid
from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction

logger = logging.getLogger(__name__)

IMAGE_PREFIX = "posts/images/"
THUMBNAIL_PREFIX = "posts/thumbnails/"
PREFIXES = (IMAGE_PREFIX, THUMBNAIL_PREFIX)

_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")


def image_upload_to(instance, filename: str) -> str:
    """upload_to for images. The suffix comes from the decoded format (see services)."""
    return f"{IMAGE_PREFIX}{uuid.uuid4().hex}{_suffix(filename)}"


def thumbnail_upload_to(instance, filename: str) -> str:
    """upload_to for thumbnails: one key per source image, named after it.

    A task delivered again (its worker died after storing the thumbnail, before
    saving the row) then overwrites its own file instead of leaving a second one
    for the orphan sweep. Image keys are random, so thumbnail keys are too.
    """
    stem = instance.image.name.removeprefix(IMAGE_PREFIX).rsplit(".", 1)[0]
    return f"{THUMBNAIL_PREFIX}{stem}.jpg"


def delete_on_commit(names: Iterable[str]) -> None:
    """Delete files once the transaction that stopped referencing them commits.

    Deleting earlier would lose a file whose row survives a rollback. A failed
    delete is only logged: the orphan sweep removes the file later.
    """
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: delete_now(names), robust=True)


def delete_now(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # storage down: leave it to the orphan sweep
            logger.warning("could not delete %s; the orphan sweep will", name)


def _suffix(filename: str) -> str:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if _SAFE_SUFFIX.match(suffix) else ""
