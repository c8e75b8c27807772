"""Writes for accounts: registration and profile updates.

Logout (blacklisting a refresh token) is simplejwt's own serializer's work, and
flushing expired tokens its own `flushexpiredtokens` command's (see tasks).
"""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import User
from apps.accounts.tasks import send_welcome_email
from apps.core.exceptions import Conflict

EMAIL_TAKEN = "A user with this email already exists."


class EmailTaken(Conflict):
    """409: the address is well-formed, but another account has it already."""

    default_detail = EMAIL_TAKEN
    default_code = "email_taken"


def user_register(*, email: str, password: str) -> User:
    """Create an active user; the welcome email is sent after the commit.

    Raises EmailTaken for an address another account has (in any case), and
    django.core.exceptions.ValidationError for an invalid email or a password
    that fails the configured validators.
    """
    email = User.objects.normalize_email(email).strip()
    if _email_taken(email):
        raise EmailTaken()
    user = User(email=email)
    _validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # A concurrent registration of the same address won the race.
        raise EmailTaken() from exc
    # robust: the account is committed by now; a broker outage must not turn the
    # registration into a 500 (the welcome email is then not sent; see README).
    transaction.on_commit(
        lambda: send_welcome_email.delay(user_id=user.pk), robust=True
    )
    return user


def user_update(
    *, user: User, first_name: str | None = None, last_name: str | None = None
) -> User:
    """Update the caller's own editable profile fields (never email or flags)."""
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.full_clean()
        user.save(update_fields=changed)
    return user


def _email_taken(email):
    return User.objects.filter(email__iexact=email).exists()


def _validate_password(password, user):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
