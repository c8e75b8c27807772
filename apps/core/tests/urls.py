"""A URLconf for error-contract tests: views that fail on purpose."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import AllowAny


class _Echo(serializers.Serializer):
    count = serializers.IntegerField(min_value=1)


@api_view(["GET"])
@permission_classes([AllowAny])
def explode(request):
    raise RuntimeError("secret internals: password=hunter2")


@api_view(["POST"])
@permission_classes([AllowAny])
def validate(request):
    _Echo(data=request.data).is_valid(raise_exception=True)


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def crash(request):
    """A bug that puts a token in its message (apps/core/tests/test_sentry.py)."""
    raise RuntimeError(f"cannot rotate {request.data['refresh']}")


urlpatterns = [
    path("explode/", explode),
    path("crash/", crash),
    path("validate/", validate),
    path("", include("config.urls")),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
