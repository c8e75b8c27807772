"""Prometheus graphing the run: its own graph page, screenshotted by Chromium.

The benchmark's stack runs with the compose profile `observability`
(bench/stack.py), so its Prometheus scrapes every web replica while wrk drives
them. Near the end of the measured load, headless Chromium (Debian's, launched as
the browser tests launch it) opens Prometheus' graph page on the request rate and
the p99 latency that docker/prometheus/rules/drf.yml records, waits until both
lines are drawn, and saves the page: the picture in the report and the README is
Prometheus' own rendering of a real run, not a chart drawn here.

Debian's prometheus package (2.53 in trixie) leaves the React UI out, "due to the
complexity of packaging it without violating Debian policy" (its page at `/`
says), and carries upstream's classic UI under `/classic/`, served from Debian's
libjs packages (d3, rickshaw, jQuery, which the package depends on). Its graph page
takes its panels from the URL (`g0.expr`, `g0.range_input`, ...). Debian says the
classic UI will go in a future package; the benchmark smoke test
(tests/bench/test_live_smoke.py) fails the day it does.

One error on that page is Debian's, and harmless here: the page loads
`popper.min.js` as a plain script, and trixie's libjs-popper.js (1.16.1+ds-6)
ships there an ES module build, ending in `export{Popper as default}`. The
browser rejects it ("Unexpected token 'export'"), and Bootstrap runs without
Popper: the navigation menus still open, and the graphs never use it. Any other
error fails the screenshot.
"""

import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.support.browser import chromium

GRAPH = "prometheus.png"  # in the report's folder, beside README.md
GRAPH_PAGE = "/classic/graph"
# Rule evaluations (every 15 s) of each series before the page is opened.
SAMPLES = 3
# Panel title -> expression: the recorded series a Grafana dashboard would use too.
PANELS = {
    "request rate (requests/s)": 'job:django_http_requests:rate5m{job="web"}',
    "p99 latency (s)": 'job:django_http_request_duration_seconds:p99_rate5m{job="web"}',
}
WIDTH = 1280
# Debian's popper.min.js, an ES module loaded as a script (see above).
KNOWN_PAGE_ERRORS = frozenset({"Unexpected token 'export'"})
# True once every panel has drawn a line of more than one point and shows no error.
_DRAWN = """count => {
  for (let i = 0; i < count; i++) {
    const panel = document.getElementById(`graph_wrapper${i}`);
    const line = panel && panel.querySelector(".rickshaw_graph svg path.path");
    const error = panel && panel.querySelector(".error");
    if (!line || (line.getAttribute("d") || "").split("L").length < 3) return false;
    if (error && error.innerText.trim()) return false;
  }
  return true;
}"""


# The number of points of each panel's line.
_POINTS = """count => Array.from({length: count}, (_, i) => {
  const panel = document.getElementById(`graph_wrapper${i}`);
  const line = panel.querySelector(".rickshaw_graph svg path.path");
  return line.getAttribute("d").split("L").length;
})"""


class GraphError(RuntimeError):
    """Prometheus had no data to graph, or its page failed to draw it."""


def screenshot(base_url: str, path: Path, *, since: float, timeout: float = 120):
    """Save Prometheus' graph of the run since `since` (epoch seconds) to `path`.

    Waits until both recorded series have a value (a scrape and a rule
    evaluation after the load began) and the page has drawn them; returns what
    was graphed, for the report.
    """
    values = wait_for_series(base_url, timeout=timeout)
    minutes = max(2, round((time.time() - since) / 60) + 1)
    page_url = graph_url(base_url, minutes)
    problems = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" else None,
        )
        page.goto(page_url, wait_until="networkidle")
        page.wait_for_function(_DRAWN, arg=len(PANELS), timeout=30_000)
        points = page.evaluate(_POINTS, len(PANELS))
        # The whole page in one view: a full-page capture would paint the fixed
        # navigation bar where the view ended, across a graph.
        height = page.evaluate("document.body.scrollHeight")
        page.set_viewport_size({"width": WIDTH, "height": height})
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path)
    unexpected = [p for p in problems if p not in KNOWN_PAGE_ERRORS]
    if unexpected:
        raise GraphError(f"Prometheus' graph page reported errors: {unexpected}")
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "size": [WIDTH, height],
        "page_errors": problems,
        # Pairs, in order: results.json is written with its keys sorted.
        "panels": list(PANELS.items()),
        "values": values,
        "points_drawn": dict(zip(PANELS, points, strict=True)),
        "range_minutes": minutes,
        "page": page_url.removeprefix(base_url),
        "prometheus_version": _version(base_url),
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def graph_url(base_url: str, minutes: int) -> str:
    """The classic graph page, one panel per expression, the last `minutes`."""
    panels = {}
    for index, expression in enumerate(PANELS.values()):
        panels.update({
            f"g{index}.expr": expression, f"g{index}.tab": "0",
            f"g{index}.range_input": f"{minutes}m",
        })  # fmt: skip
    return f"{base_url}{GRAPH_PAGE}?{urlencode(panels)}"


def wait_for_series(base_url: str, *, timeout: float) -> dict[str, float]:
    """Each panel's current value, once every one is above zero and has been
    recorded at least SAMPLES times: the page draws what it gets when it loads,
    and a series born a second ago would be a single point."""
    deadline = time.monotonic() + timeout
    while True:
        values = {title: _value(base_url, expr) for title, expr in PANELS.items()}
        recorded = [
            _value(base_url, f"count_over_time({expr}[5m])") or 0
            for expr in PANELS.values()
        ]
        if all(v and v > 0 for v in values.values()) and min(recorded) >= SAMPLES:
            return values
        if time.monotonic() > deadline:
            raise GraphError(f"no data to graph after {timeout} s: {values}")
        time.sleep(2)


def _value(base_url: str, expression: str) -> float | None:
    response = httpx.get(
        f"{base_url}/api/v1/query", params={"query": expression}, timeout=10
    )
    result = response.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _version(base_url: str) -> str:
    info = httpx.get(f"{base_url}/api/v1/status/buildinfo", timeout=10).json()
    return info["data"]["version"]


def section(figures: dict | None) -> str:
    """The report's section: the picture, and what it shows."""
    if not figures:
        return ""
    if "error" in figures:
        return f"## Prometheus during the run\n\nNo graph this run: {figures['error']}"
    (rate_title, rate), (p99_title, p99) = figures["panels"]
    values = figures["values"]
    picture = (
        "![Prometheus' graph page: the web service's request rate and p99 latency "
        f"during the throughput matrix]({figures['file']})"
    )
    text = (
        f"Prometheus {figures['prometheus_version']} (Debian's package, the "
        "stack's `observability` profile) graphing the run on its own page, as "
        f"headless Chromium saw it at {figures['taken_at']}, when the throughput "
        f"matrix above ended: the last {figures['range_minutes']} minutes, "
        f"warm-up included. Top, the {rate_title}: `{rate}`; below, the "
        f"{p99_title}: `{p99}` (health probes left out). Both are recording rules "
        "of `docker/prometheus/rules/drf.yml`, over 5-minute windows, so the steps "
        "from one scenario or concurrency to the next are smoothed out; wrk's "
        "figures above are the measurement. Their values when the picture was "
        f"taken: {values[rate_title]:.1f} requests/s, p99 "
        f"{values[p99_title] * 1000:.0f} ms."
    )
    return f"## Prometheus during the run\n\n{picture}\n\n{text}"
