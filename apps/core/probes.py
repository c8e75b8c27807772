"""The health probes' paths: the only ones answered outside URL routing.

HealthCheckMiddleware answers them and MetricsMiddleware labels them by these
names, which are also the names of their views in apps.core.views. This module
imports nothing, so the metrics can use it while the app registry loads.
"""

PROBES = {"/healthz": "healthz", "/readyz": "readyz"}


def probe_name(request) -> str | None:
    """The probe a request's path names ("healthz", "readyz"), or None."""
    return PROBES.get(request.path_info.rstrip("/"))
