"""Background work for accounts."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.management import call_command

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def send_welcome_email(*, user_id: int) -> None:
    """Send the registration email. OSError (SMTP down) retries with backoff."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        logger.info("welcome email skipped: user %s no longer exists", user_id)
        return
    send_mail(
        subject="Welcome",
        message=f"Hello {user.email}, your account is ready.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    logger.info("welcome email sent to user %s", user_id)


@shared_task
def flush_expired_tokens() -> None:
    """Beat: delete expired outstanding refresh tokens (their blacklist rows cascade).

    An expired token is refused on its expiry alone, so its rows only take space.
    simplejwt's own management command does exactly this; the task only schedules it.
    """
    call_command("flushexpiredtokens")
    logger.info("flushed expired refresh tokens")
