"""Middleware for health probes and request ids."""

from apps.core import views
from apps.core.probes import probe_name
from apps.core.request_id import (
    clean_request_id,
    reset_request_id,
    set_request_id,
)
from apps.core.tracing.context import untraced

REQUEST_ID_HEADER = "X-Request-ID"


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before anything validates the Host header.

    Docker healthchecks and load balancers call these by IP or by container name,
    which ALLOWED_HOSTS rightly refuses for every other path. This is the only place
    they are answered: they have no URL route, so other methods are a 404. With
    tracing on they make no spans: probes come every few seconds and say nothing
    about requests (the server span starts after this middleware).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = probe_name(request)
        if probe is not None and request.method in ("GET", "HEAD"):
            with untraced():
                return getattr(views, probe)(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """Takes X-Request-ID from Nginx (or makes one) for logs, tasks and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
