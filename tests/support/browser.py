"""Headless Chromium: Debian's `chromium` package, driven by Playwright.

Playwright's own browser downloads are never used (CHROMIUM names another
executable). The browser tests (tests/e2e/browser.py) and the benchmark's
screenshot of Prometheus (bench/prometheus.py) both launch it here.
"""

import os
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


@contextmanager
def chromium():
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()
