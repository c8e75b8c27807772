"""Account endpoints: registration, JWT tokens, refresh, logout and the own profile.

The token views subclass simplejwt's own (a library's well-tested views beat a
re-implementation); each gets its own throttle scope so limits are set per endpoint.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt import views as jwt_views

from apps.accounts import services
from apps.accounts.serializers import (
    RegisterSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class RegisterViewSet(viewsets.GenericViewSet):
    """POST /api/v1/auth/register/: create an account.

    No CreateModelMixin: registration is the user_register service, not a
    serializer's save(), so the `create` action is this class's own (the router
    routes POST to any viewset that has one).
    """

    serializer_class = RegisterSerializer
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_register"

    @extend_schema(
        responses={
            201: UserSerializer,
            409: OpenApiResponse(
                {"$ref": "#/components/schemas/Error"},
                description="`email_taken`: another account has this address.",
            ),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(jwt_views.TokenObtainPairView):
    """POST /api/v1/auth/token/: email + password -> access and refresh tokens."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"


class TokenRefreshView(jwt_views.TokenRefreshView):
    """POST /api/v1/auth/token/refresh/: a new access token and a rotated refresh token.

    The refresh token sent is blacklisted, so it cannot be used twice.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_refresh"


class LogoutView(jwt_views.TokenBlacklistView):
    """POST /api/v1/auth/logout/: blacklist a refresh token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_logout"

    @extend_schema(responses={204: OpenApiResponse(description="Logged out.")})
    def post(self, request, *args, **kwargs):
        # simplejwt's serializer validates the token and blacklists it.
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserViewSet(viewsets.GenericViewSet):
    """The caller's own profile at /api/v1/users/me/."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(methods=["GET"], responses=UserSerializer)
    @extend_schema(
        methods=["PATCH"], request=UserUpdateSerializer, responses=UserSerializer
    )
    @action(detail=False, methods=["get", "patch"])
    def me(self, request):
        if request.method == "PATCH":
            serializer = UserUpdateSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            services.user_update(user=request.user, **serializer.validated_data)
        return Response(UserSerializer(request.user).data)
