"""The end-to-end suite's compose project, and the constants its tests share."""

from dataclasses import dataclass, field

from tests.support.compose import ComposeProject

WEB_REPLICAS = 3
APP_IMAGE = "drf-reference-app:latest"


@dataclass
class Stack(ComposeProject):
    """The stack under test, published on 127.0.0.1:port."""

    port: int = 0
    # The web replicas' logs from their first start, before any test recreates them.
    startup_logs: str = field(default="")

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args, **kwargs):
        return self.exec("web", "python", "manage.py", *args, **kwargs)
