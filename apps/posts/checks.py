"""Provides the system check of the upload settings (see apps/core/checks.py)."""

from django.conf import settings
from django.core.checks import Error, register

from apps.posts.images import FORMATS, allowed_formats


@register()
def upload_formats_check(app_configs, **kwargs):
    """An unknown UPLOAD_ALLOWED_FORMATS name would refuse every upload as that type."""
    unknown = sorted(allowed_formats() - set(FORMATS))
    if not allowed_formats():
        return [
            Error(
                "UPLOAD_ALLOWED_FORMATS is empty.",
                hint=f"Name one or more of {', '.join(sorted(FORMATS))}.",
                id="posts.E001",
            )
        ]
    if not unknown:
        return []
    return [
        Error(
            f"UPLOAD_ALLOWED_FORMATS names unknown formats: {', '.join(unknown)}.",
            hint=f"Known (Pillow's names): {', '.join(sorted(FORMATS))}.",
            id="posts.E002",
        )
    ]


@register()
def upload_size_check(app_configs, **kwargs):
    """A non-positive limit refuses every image."""
    if settings.UPLOAD_MAX_BYTES > 0:
        return []
    return [
        Error(
            f"UPLOAD_MAX_BYTES={settings.UPLOAD_MAX_BYTES} refuses every upload.",
            hint="A size in bytes, e.g. 5242880 (5 MiB).",
            id="posts.E003",
        )
    ]
