"""Settings for a developer's machine: same features, debug on, browsable API."""

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK

DEBUG = env("DEBUG", default=True, cast=bool)

REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]
