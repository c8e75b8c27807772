"""The benchmark scenarios: what each sends, and which targets apply to it."""

import json
from dataclasses import dataclass

from bench.wrk import Request

POST_BODY = json.dumps(
    {
        "title": "Benchmark post",
        "body": "Written by the benchmark to measure the create path.",
        "published": True,
    }
)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    method: str
    path: str
    auth: bool = False
    read: bool = True
    body: str = ""
    # Minimum throughput as a fraction of the baseline's at the same concurrency.
    min_ratio: float | None = None

    def request(self, *, token: str, ids: tuple[int, ...]) -> Request:
        return Request(
            method=self.method,
            path=self.path,
            token=token if self.auth else "",
            body=self.body,
            ids=ids if "{id}" in self.path else (),
        )


BASELINE = Scenario("baseline", "Baseline view", "GET", "/bench/baseline")
SCENARIOS = (
    BASELINE,
    Scenario("healthz", "GET /healthz", "GET", "/healthz"),
    Scenario("anon_list", "Anonymous list", "GET", "/api/v1/posts/", min_ratio=0.6),
    Scenario(
        "auth_list",
        "Authenticated list",
        "GET",
        "/api/v1/posts/",
        auth=True,
        min_ratio=0.35,
    ),
    Scenario(
        "auth_detail", "Authenticated detail", "GET", "/api/v1/posts/{id}/", auth=True
    ),
    # Last at each concurrency: it adds rows, so no read runs while it does (keyset
    # pages cost the same with the few thousand extra rows it leaves).
    Scenario(
        "auth_create",
        "Authenticated create",
        "POST",
        "/api/v1/posts/",
        auth=True,
        read=False,
        body=POST_BODY,
    ),
)
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
