"""Reading the stack's metrics: each container's endpoint, and Prometheus' API.

The endpoints listen on the compose network only, so they are read from inside
the container (`docker compose exec`), never through Nginx or a published port.
"""

import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

# Runs in the container: its own endpoint, on the port its settings name.
READ_ENDPOINT = (
    "import urllib.request; from django.conf import settings; "
    "print(urllib.request.urlopen("
    "f'http://127.0.0.1:{settings.METRICS_PORT}/', timeout=5).read().decode())"
)


def scrape(project, service: str, index: int | None = None) -> list:
    """The samples one container's endpoint serves now."""
    out = project.exec(service, "python", "-c", READ_ENDPOINT, index=index).stdout
    return [s for f in text_string_to_metric_families(out) for s in f.samples]


def total(samples, name: str, **labels) -> float:
    """The sum of `name` over the samples whose labels include `labels`."""
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def prometheus_api(port: int, path: str) -> dict:
    """GET Prometheus' HTTP API on its loopback port: the `data` of the answer."""
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def query(port: int, expression: str) -> list:
    """An instant query's vector: [(labels, value)]."""
    from urllib.parse import quote

    data = prometheus_api(port, f"query?query={quote(expression)}")
    return [(r["metric"], float(r["value"][1])) for r in data["result"]]


def firing(port: int, alertname: str) -> list:
    """The alerts of that name that fire now."""
    alerts = prometheus_api(port, "alerts")["alerts"]
    return [
        a
        for a in alerts
        if a["labels"]["alertname"] == alertname and a["state"] == "firing"
    ]
