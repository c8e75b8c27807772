"""The project's URLs, plus /bench/baseline: the framework's ceiling.

The baseline view goes through every middleware like an API request, but
touches no database, cache or serializer: what the stack costs around Django.
"""

from django.http import JsonResponse
from django.urls import path

from config.urls import *  # noqa: F403 - the handlers too
from config.urls import urlpatterns as project_urlpatterns


def baseline(request):
    """A tiny JSON body, no I/O."""
    return JsonResponse({"status": "ok", "message": "baseline"})


urlpatterns = [
    path("bench/baseline", baseline, name="bench-baseline"),
    *project_urlpatterns,
]
