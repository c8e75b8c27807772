"""Reports unhandled errors to Sentry when SENTRY_DSN is set, with no credentials.

Off by default (SENTRY_DSN empty): sentry-sdk is not even imported. On, it reports
what the Django and Celery integrations catch: a request's unhandled exception
(DRF's too: the API's exception handler logs it with its traceback, and the logging
integration files an ERROR record with a traceback as an event) and a task that
raised. An event carries what debugging needs, never what a client sent to prove
who it is:

- no personal data (`send_default_pii=False`): no user, IP address or cookies,
  and sentry-sdk filters the Authorization and Cookie headers;
- no request bodies (passwords and refresh tokens travel there) and no local
  variables of the stack frames (they hold the same values, and objects whose
  repr shows them);
- sentry-sdk's event scrubber, recursive and with this API's token fields added,
  blanks every value under a sensitive key wherever it looks (extra data,
  breadcrumbs, headers);
- last, any text shaped like a JWT or a Bearer credential is blanked, wherever it
  appears (an exception's message, a log message).

Sentry's own performance tracing stays off: traces are OpenTelemetry's
(apps/core/tracing/), which the reports do not replace.
"""

import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FILTERED = "[Filtered]"
# The API's token fields (simplejwt's `access` and `refresh`), beside sentry-sdk's
# own list (password, token, authorization, cookie, session, ...).
TOKEN_FIELDS = ("access", "refresh", "http_authorization", "http_cookie")
CREDENTIAL = re.compile(r"\bBearer\s+\S+|\beyJ[\w-]+\.[\w-]+\.[\w-]*", re.IGNORECASE)


def sentry_init() -> bool:
    """Start sentry-sdk when SENTRY_DSN is set; called once, from CoreConfig.ready()."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber
    from sentry_sdk.utils import BadDsn

    try:
        sentry_sdk.init(
            dsn=settings.SENTRY_DSN,
            environment=settings.SENTRY_ENVIRONMENT,
            integrations=[DjangoIntegration(), CeleryIntegration()],
            # Only the integrations named: no patching of every library installed.
            auto_enabling_integrations=False,
            send_default_pii=False,
            max_request_body_size="never",
            include_local_variables=False,
            event_scrubber=EventScrubber(
                denylist=[*DEFAULT_DENYLIST, *TOKEN_FIELDS], recursive=True
            ),
            before_send=redact_credentials,
        )
    except BadDsn as error:
        # The DSN is not repeated: it holds the project's key.
        raise ImproperlyConfigured(f"SENTRY_DSN is not a valid DSN: {error}") from None
    return True


def redact_credentials(event, hint):
    """sentry-sdk's before_send: every JWT- or Bearer-shaped text blanked."""
    return _redacted(event)


def _redacted(value):
    if isinstance(value, str):
        return CREDENTIAL.sub(FILTERED, value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value
