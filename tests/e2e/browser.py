"""Headless Chromium for the browser tests, and what a page did wrong while it ran.

The browser is Debian's `chromium` package, driven by Playwright
(tests/support/browser.py, which the benchmark shares). A watched page collects
console errors, uncaught exceptions, Content-Security-Policy violations and every
request to another origin, so a test can assert that a page worked as served,
under its policy, from its own origin.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Runs before any script of the page: each violation the browser reports to the
# document is also handed to the test (console messages alone may be dropped).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@dataclass
class PageProblems:
    """What went wrong on a page: every list empty means it ran cleanly."""

    origin: str
    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    csp_violations: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)

    def watch(self, page):
        page.expose_function("reportCspViolation", self._on_csp_violation)
        page.add_init_script(_REPORT_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", self._on_request)
        return self

    def _on_csp_violation(self, violation):
        self.csp_violations.append(violation)

    def _on_console(self, message):
        url = message.location.get("url", "")
        # The browser's own guess at a site icon, which no page here links: the
        # API has none, and its 404 is no fault of the page.
        if message.type == "error" and url != f"{self.origin}/favicon.ico":
            self.console_errors.append(f"{message.text} ({url})")

    def _on_request(self, request):
        url = urlsplit(request.url)
        if url.scheme in ("http", "https") and _origin(url) != self.origin:
            self.foreign_requests.append(request.url)

    def all(self):
        """The non-empty lists by name ({} when the page ran cleanly)."""
        return {
            kind.name: getattr(self, kind.name)
            for kind in fields(self)
            if kind.name != "origin" and getattr(self, kind.name)
        }


def _origin(url):
    return f"{url.scheme}://{url.netloc}"


def watched_page(browser, origin, **context_options):
    """A new page in a fresh context (no cookies, no storage), and its problems."""
    page = browser.new_context(**context_options).new_page()
    return page, PageProblems(origin).watch(page)


class _ClientPage(BaseHTTPRequestHandler):
    BODY = b"<!doctype html><html><head><title>API client</title></head></html>"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        self.wfile.write(self.BODY)

    def log_message(self, *args):
        pass


@contextmanager
def client_origin(port=0):
    """A blank page served on 127.0.0.1:`port` (0: any free one); yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _ClientPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
