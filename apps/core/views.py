"""Plain Django views: health probes and JSON error pages."""

from django.http import JsonResponse

from apps.core import health
from apps.core.exceptions import error_body


def healthz(request):
    """Liveness: the process answers. Touches no backing service."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: every backing service answers within its timeout, else 503."""
    results = health.run_checks()
    ready = all(result["ok"] for result in results.values())
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    if not ready:
        body["failed"] = sorted(name for name, r in results.items() if not r["ok"])
    return JsonResponse(body, status=200 if ready else 503)


def bad_request(request, exception=None):
    """handler400: the API's error shape for what Django refuses before any view,
    such as a Host header outside ALLOWED_HOSTS."""
    return _error_page(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    """handler403: the API's error shape for a PermissionDenied outside DRF."""
    return _error_page(403, "permission_denied", "Permission denied.")


def not_found(request, exception=None):
    """handler404: the API's error shape for unknown URLs."""
    return _error_page(404, "not_found", "Not found.")


def server_error(request):
    """handler500: the API's error shape, never a traceback."""
    return _error_page(500, "server_error", "A server error occurred.")


def _error_page(status_code, code, detail):
    body = error_body(status_code=status_code, code=code, detail=detail)
    return JsonResponse(body, status=status_code)
