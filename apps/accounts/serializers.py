"""Input and output shapes for accounts."""

from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from rest_framework import serializers

from apps.core.fields import StrictCharField, StrictEmailField

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    """A user as the API shows it; never the password."""

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "is_staff", "date_joined"]
        read_only_fields = fields


# Addresses as the schema can state them exactly: an ASCII dot-atom local part
# of at most 64 characters (RFC 5321) and a host name with a top-level domain of
# letters. Django's EmailValidator
# alone takes more (quoted local parts, raw IDN hosts) and less ("a@b.c") than
# `format: email` says, so clients could not tell from the schema what passes.
_EMAIL = RegexValidator(
    r"^(?=[^@]{1,64}@)[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+(\.[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+)*"
    r"@([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    "Enter a valid email address.",
)
# Something besides digits (and no NUL, which DRF refuses in every CharField).
_NOT_ONLY_DIGITS = RegexValidator(
    r"^[^\x00]*[^\x00\d][^\x00]*$", "This password is entirely numeric."
)


class RegisterSerializer(serializers.Serializer):
    """Registration input; rules (uniqueness, password strength) live in the service."""

    email = StrictEmailField(max_length=254, trim_whitespace=False, validators=[_EMAIL])
    # The length and numeric rules of AUTH_PASSWORD_VALIDATORS, in the schema too
    # (as minLength and pattern); the service runs every validator.
    password = StrictCharField(
        write_only=True,
        min_length=8,
        max_length=128,
        trim_whitespace=False,
        validators=[_NOT_ONLY_DIGITS],
    )


class UserUpdateSerializer(serializers.Serializer):
    """Profile fields a user may change. Email and staff flags are not among them."""

    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
