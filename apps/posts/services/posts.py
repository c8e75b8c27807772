"""Writes for posts: create, update and delete, with their image files."""

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.posts import files, images
from apps.posts.models import Post
from apps.posts.services.thumbnails import thumbnail_enqueue

# Fields reset whenever the image changes: the old thumbnail no longer applies.
_IMAGE_FIELDS = [
    "image",
    "thumbnail",
    "image_status",
    "image_error",
    "thumbnail_requested_at",
]


@transaction.atomic
def post_create(
    *,
    author: User,
    title: str,
    body: str = "",
    published: bool = False,
    image: File | None = None,
) -> Post:
    """Create a post; with an image, its thumbnail is generated after the commit.

    Raises django.core.exceptions.ValidationError (an invalid image under "image").
    Nothing is stored for a rejected image: it is checked before the row is saved.
    """
    post = Post(author=author, title=title, body=body, published=published)
    if image is not None:
        _attach_image(post, image)
    post.full_clean()
    post.save()
    if image is not None:
        thumbnail_enqueue(post=post)
    return post


@transaction.atomic
def post_update(
    *,
    post: Post,
    title: str | None = None,
    body: str | None = None,
    published: bool | None = None,
    image: File | None = None,
    remove_image: bool = False,
) -> Post:
    """Change the given fields. A new image replaces the old one and its thumbnail;
    the replaced files are deleted after the commit."""
    if image is not None and remove_image:
        raise ValidationError(
            {"remove_image": ["Send either a new image or remove_image, not both."]}
        )
    changed = _set_text_fields(post, title=title, body=body, published=published)
    if image is not None or (remove_image and post.image):
        files.delete_on_commit(_current_file_names(post))
        if image is not None:
            _attach_image(post, image)
        else:
            _detach_image(post)
        changed += _IMAGE_FIELDS
    if changed:
        post.full_clean()
        post.save(update_fields=[*changed, "updated_at"])
    if image is not None:
        thumbnail_enqueue(post=post)
    return post


@transaction.atomic
def post_delete(*, post: Post) -> None:
    """Delete a post; its image and thumbnail are deleted after the commit."""
    files.delete_on_commit(_current_file_names(post))
    post.delete()


def _set_text_fields(post: Post, **values) -> list[str]:
    changed = []
    for field, value in values.items():
        if value is not None:
            setattr(post, field, value)
            changed.append(field)
    return changed


def _attach_image(post: Post, image: File) -> None:
    try:
        image_format = images.validate_image(image)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from exc
    # Only facts Pillow established reach storage: the key's suffix and the
    # Content-Type object storage serves it with (a PNG declared as text/html
    # must not be served as HTML).
    image.name = f"image{images.extension_for(image_format)}"
    image.content_type = images.content_type_for(image_format)
    post.image = image
    post.thumbnail = ""
    post.image_status = Post.ImageStatus.PROCESSING
    post.image_error = ""
    post.thumbnail_requested_at = timezone.now()


def _detach_image(post: Post) -> None:
    post.image = ""
    post.thumbnail = ""
    post.image_status = Post.ImageStatus.NONE
    post.image_error = ""
    post.thumbnail_requested_at = None


def _current_file_names(post: Post) -> list[str]:
    """The file names in the database, read under a row lock.

    The instance may be stale: a concurrent update or thumbnail task may have
    changed the files since it was loaded.
    """
    current = (
        Post.objects.select_for_update()
        .values_list("image", "thumbnail")
        .filter(pk=post.pk)
        .first()
    )
    return list(current or ())
