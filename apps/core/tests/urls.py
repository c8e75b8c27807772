"""A URLconf for error-contract tests: views that fail on purpose."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
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


urlpatterns = [
    path("explode/", explode),
    path("validate/", validate),
    path("", include("config.urls")),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
