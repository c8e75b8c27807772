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


# Something besides digits (and no NUL, which DRF refuses in every CharField).
_NOT_ONLY_DIGITS = RegexValidator(
    r"^[^\x00]*[^\x00\d][^\x00]*$", "This password is entirely numeric."
)


class RegisterSerializer(serializers.Serializer):
    """Registration input; rules (uniqueness, password strength) live in the service."""

    email = StrictEmailField(max_length=254)
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
