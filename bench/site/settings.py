"""Production settings, plus the URL of the benchmark's baseline view."""

from config.settings.production import *  # noqa: F403 - these settings, plus one

ROOT_URLCONF = "bench.site.urls"
