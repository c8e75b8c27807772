"""factory_boy factories and image builders for posts."""

from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.tests.factories import UserFactory
from apps.posts.models import Post


def image_bytes(image_format="PNG", size=(64, 48), mode="RGB") -> bytes:
    """A real image, encoded by Pillow."""
    output = BytesIO()
    Image.new(mode, size, "teal").save(output, image_format)
    return output.getvalue()


def image_upload(
    image_format="PNG",
    size=(64, 48),
    name="photo.png",
    content_type="image/png",
    data=None,
) -> SimpleUploadedFile:
    """An uploaded file as a view receives it; name and content type are claims."""
    if data is None:
        data = image_bytes(image_format, size)
    return SimpleUploadedFile(name, data, content_type=content_type)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Post {n}")
    body = factory.Faker("paragraph")
    published = True
