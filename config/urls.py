"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("apps.accounts.urls")),
    path("", include("apps.posts.urls")),
]

# /healthz and /readyz have no route: HealthCheckMiddleware answers them, before
# ALLOWED_HOSTS is checked, so a route would only duplicate it.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar's static files, its inline code
    # under the Content-Security-Policy's nonce (the template says why inline).
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", template_name="core/swagger_ui.html"
        ),
        name="docs",
    ),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
