"""Provides the API's JWT authentication: simplejwt's, refusing malformed user ids."""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's JWTAuthentication, with a malformed user id a 401, not a 500.

    A token signed with the right key but carrying an id this project never
    issues (a string where ids are numbers) reaches the user lookup, where
    Django's conversion of the value raises ValueError or TypeError.
    """

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except (TypeError, ValueError) as exc:
            raise InvalidToken(
                "Token contained no recognizable user identification"
            ) from exc
