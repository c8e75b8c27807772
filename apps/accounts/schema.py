"""OpenAPI: the project's JWT authentication is simplejwt's bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTAuthenticationScheme(SimpleJWTScheme):
    """drf-spectacular matches authentication classes by exact path."""

    target_class = "apps.accounts.authentication.JWTAuthentication"
