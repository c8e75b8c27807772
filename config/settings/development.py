"""Settings for a developer's machine: same features, debug on, browsable API."""

from csp.constants import UNSAFE_INLINE

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import CONTENT_SECURITY_POLICY, REST_FRAMEWORK

DEBUG = env("DEBUG", default=True, cast=bool)

REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "rest_framework.renderers.BrowsableAPIRenderer",
]

# The browsable API's templates position a few elements with style="" attributes;
# allow those (style attributes only: no <style> element, no script) in development,
# the one place that renderer is on.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src-attr"] = [UNSAFE_INLINE]
