"""Settings shared by every environment; each deploy-specific value comes from env.

Variables without a default (SECRET_KEY, JWT_SIGNING_KEY, DATABASE_URL) are required:
python-decouple raises UndefinedValueError naming the variable when one is missing.
"""

from datetime import timedelta

import dj_database_url
from botocore.config import Config as BotoConfig
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from config.env import BASE_DIR, Csv, env, secret

# --- Core -------------------------------------------------------------------------
SECRET_KEY = secret("SECRET_KEY")
DEBUG = env("DEBUG", default=False, cast=bool)
ALLOWED_HOSTS = env("ALLOWED_HOSTS", default="localhost,127.0.0.1", cast=Csv())
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "apps.core",
    "apps.accounts",
    "apps.posts",
]

MIDDLEWARE = [
    # First: it counts and times every response, the health probes' included.
    "apps.core.metrics.requests.MetricsMiddleware",
    # First, so load balancers reach /healthz and /readyz whatever the Host header,
    # before SecurityMiddleware redirects or CommonMiddleware validates the host.
    "apps.core.middleware.HealthCheckMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    # Before anything else that answers, so errors and preflights carry CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Backing services -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        secret("DATABASE_URL"),
        conn_max_age=env("DB_CONN_MAX_AGE", default=60, cast=int),
        # Django's PostgreSQL backend, whose health check of a reused connection
        # is a socket poll instead of a query (apps/core/db/base.py says why).
        engine="apps.core.db",
        conn_health_checks=True,
    )
}
# A short connect timeout keeps /readyz and requests from hanging on a dead database.
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env(
    "DB_CONNECT_TIMEOUT", default=3, cast=int
)

REDIS_URL = secret("REDIS_URL", default="redis://localhost:6379/0")
REDIS_TIMEOUT = env("REDIS_TIMEOUT", default=0.5, cast=float)
# django-redis, failing open: with Redis unreachable a read misses (returning the
# caller's default, which DRF's throttles rely on) and a write does nothing, so
# throttling and cached reads degrade instead of failing every request; /readyz
# still reports Redis down. Each ignored error is logged (django_redis.cache).
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Anonymous post-list pages, cached whole in Redis (apps/posts/feed_cache.py).
FEED_CACHE_SECONDS = env("FEED_CACHE_SECONDS", default=30, cast=int)

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

JWT_SIGNING_KEY = secret("JWT_SIGNING_KEY")
if not JWT_SIGNING_KEY.strip():
    # PyJWT would sign with "" and only warn; an empty line in .env is no key.
    raise ImproperlyConfigured("JWT_SIGNING_KEY must not be empty.")
SIMPLE_JWT = {
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ALGORITHM": "HS256",
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env("JWT_ACCESS_TOKEN_MINUTES", default=5, cast=int)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env("JWT_REFRESH_TOKEN_DAYS", default=7, cast=int)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth_register": env("THROTTLE_RATE_REGISTER", default="20/hour"),
        "auth_token": env("THROTTLE_RATE_TOKEN", default="30/min"),
        "auth_refresh": env("THROTTLE_RATE_REFRESH", default="60/min"),
        "auth_logout": env("THROTTLE_RATE_LOGOUT", default="60/min"),
    },
    # How many proxies (Nginx) stand in front, so throttling keys on the client's
    # address from X-Forwarded-For rather than the proxy's.
    "NUM_PROXIES": env("NUM_PROXIES", default=0, cast=int),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Twelve-factor DRF reference API",
    "DESCRIPTION": "JWT-authenticated REST API. Every error has the shape of `Error`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from drf-spectacular-sidecar's pinned copy under /static/, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.add_text_patterns",
        "apps.core.schema.add_error_responses",
        "apps.posts.schema.document_image_encoding",
    ],
}

# --- Browser clients: CORS and Content-Security-Policy --------------------------
# Origins (scheme://host[:port]) whose pages may call the API from a browser; none by
# default. Only /api/ answers them; the admin and the docs page stay same-origin.
# Credentials are off: the API authenticates by the Authorization header, never by
# cookies, so a cross-origin page never rides on the admin's session.
CORS_ALLOWED_ORIGINS = env("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False

# django-csp, on every response: the admin, the docs page and the browsable API load
# scripts and styles from /static/ only, no eval, and no inline code but what a
# template marks with the request's nonce (the docs page's); images also as data:
# URIs (Swagger UI's icons); fetches go to this origin only. A JSON response gets the
# same header, where it only forbids framing and loading anything.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = secret("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
# At-least-once delivery: a task is acknowledged after it finishes, and put back on
# the queue if the worker dies mid-task. Tasks must therefore be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env("CELERY_TASK_SOFT_TIME_LIMIT", default=60, cast=int)
CELERY_TASK_TIME_LIMIT = env("CELERY_TASK_TIME_LIMIT", default=90, cast=int)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged task is redelivered after this many seconds.
    "visibility_timeout": env("CELERY_VISIBILITY_TIMEOUT", default=300, cast=int),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = False
# Periodic housekeeping, run by exactly one `celery -A config beat` process. Each
# entry expires after its interval, so a backlog built while no worker ran is not
# replayed all at once.
CELERY_BEAT_SCHEDULE = {
    "flush-expired-jwt-tokens": {
        "task": "apps.accounts.tasks.flush_expired_tokens",
        "schedule": timedelta(hours=24),
        "options": {"expires": timedelta(hours=24).total_seconds()},
    },
    "delete-orphaned-post-files": {
        "task": "apps.posts.tasks.delete_orphaned_files",
        "schedule": timedelta(hours=1),
        "options": {"expires": timedelta(hours=1).total_seconds()},
    },
    "requeue-stuck-thumbnails": {
        "task": "apps.posts.tasks.requeue_stuck_thumbnails",
        "schedule": timedelta(minutes=5),
        "options": {"expires": timedelta(minutes=5).total_seconds()},
    },
}
# Stored files no post references are deleted once this old: a younger one may
# belong to an upload whose transaction has not committed yet.
POSTS_ORPHAN_GRACE_PERIOD = timedelta(days=1)
# A thumbnail still `processing` this long after it was requested lost its task
# (longer than a task's retries with backoff take) and is enqueued again.
POSTS_THUMBNAIL_STUCK_AFTER = timedelta(minutes=15)

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env("EMAIL_PORT", default=25, cast=int)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", default=False, cast=bool)
EMAIL_USE_SSL = env("EMAIL_USE_SSL", default=False, cast=bool)
# Seconds an SMTP call may block a worker (Django's default is no limit).
EMAIL_TIMEOUT = env("EMAIL_TIMEOUT", default=10, cast=int)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@example.com")

# --- Static and media files -------------------------------------------------------
STATIC_URL = "static/"
# Relative paths are taken from the project directory; absolute ones as they are.
STATIC_ROOT = str(BASE_DIR / env("STATIC_ROOT", default="staticfiles"))
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = str(BASE_DIR / env("MEDIA_ROOT", default="media"))

# Media goes to S3-compatible object storage when a bucket is configured (the
# container stack and production); otherwise to MEDIA_ROOT, for a bare-metal dev box.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="us-east-1")
AWS_ACCESS_KEY_ID = secret("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = secret("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default="") or None
AWS_S3_URL_PROTOCOL = env("AWS_S3_URL_PROTOCOL", default="https:")
AWS_QUERYSTRING_AUTH = env("AWS_QUERYSTRING_AUTH", default=True, cast=bool)
AWS_DEFAULT_ACL = None
# Keys are random, or a thumbnail's derived from its image's (apps/posts/files.py):
# a key that exists is the same file stored again by a redelivered task, to be
# overwritten. It also spares the HEAD request that looks for a free name.
AWS_S3_FILE_OVERWRITE = True
AWS_S3_CLIENT_TIMEOUT = env("AWS_S3_CLIENT_TIMEOUT", default=5, cast=int)
# Bounded S3 calls: a hung object store fails an upload or /readyz in seconds, not
# after botocore's 60 s default; "standard" retries back off on throttling.
AWS_S3_CLIENT_CONFIG = BotoConfig(
    connect_timeout=AWS_S3_CLIENT_TIMEOUT,
    read_timeout=AWS_S3_CLIENT_TIMEOUT,
    retries={"max_attempts": 3, "mode": "standard"},
)

STORAGES = {
    "default": {
        "BACKEND": (
            "storages.backends.s3.S3Storage"
            if AWS_STORAGE_BUCKET_NAME
            else "django.core.files.storage.FileSystemStorage"
        ),
        # FileSystemStorage's own name for AWS_S3_FILE_OVERWRITE (the S3 backend
        # takes no such option).
        **({} if AWS_STORAGE_BUCKET_NAME else {"OPTIONS": {"allow_overwrite": True}}),
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
WHITENOISE_MAX_AGE = 31536000
# collectstatic runs in every web container's start, into a tmpfs: keeping only the
# hashed names (what {% static %} emits) and leaving the sidecar's source maps
# uncompressed (only developer tools fetch them) halves its CPU and memory
# (3.0 -> 1.2 s, 33 -> 15 MB per replica).
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# Larger request bodies are refused before they reach a view (Nginx enforces the
# same limit as client_max_body_size).
DATA_UPLOAD_MAX_MEMORY_SIZE = env(
    "DATA_UPLOAD_MAX_MEMORY_SIZE", default=2621440, cast=int
)

# Image uploads of posts. Each is decoded with Pillow before anything is stored.
UPLOAD_MAX_BYTES = env("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024, cast=int)
# Pillow format names, as decoded (not as the file's name or content type claims).
UPLOAD_ALLOWED_FORMATS = env(
    "UPLOAD_ALLOWED_FORMATS", default="JPEG,PNG,WEBP,GIF", cast=Csv()
)
# The decompression-bomb guard: a small file may declare a huge canvas.
UPLOAD_MAX_PIXELS = env("UPLOAD_MAX_PIXELS", default=40_000_000, cast=int)

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Metrics ----------------------------------------------------------------------
# Prometheus' endpoint of each web and worker container (apps/core/metrics/), on a
# port of its own that Nginx never proxies; 0 serves none (the values are still
# counted).
METRICS_PORT = env("METRICS_PORT", default=9100, cast=int)

# --- Tracing and error reports ----------------------------------------------------
# OpenTelemetry, by its specification's own variables (apps/core/tracing/): on when
# an OTLP/HTTP endpoint is set and OTEL_SDK_DISABLED is not true; off by default.
OTEL_SDK_DISABLED = env("OTEL_SDK_DISABLED", default=False, cast=bool)
OTEL_EXPORTER_OTLP_ENDPOINT = env("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = env(
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", default=""
)
OTEL_SERVICE_NAME = env("OTEL_SERVICE_NAME", default="drf-reference")
OTEL_TRACES_SAMPLER = env("OTEL_TRACES_SAMPLER", default="parentbased_always_on")
OTEL_TRACES_SAMPLER_ARG = env("OTEL_TRACES_SAMPLER_ARG", default="1.0")
# Sentry (apps/core/sentry.py): unhandled errors of requests and tasks, when a DSN
# is set; off by default.
SENTRY_DSN = secret("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")

# --- Logging ----------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "apps.core.logging.JsonFormatter"},
        "console": {
            "format": (
                "%(asctime)s %(levelname)-8s [%(request_id)s] %(name)s: %(message)s"
            )
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django logs each 4xx/5xx here; the API's exception handler logs 500s itself.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
# logging.config refuses either mistake with a message that names no variable.
if LOG_FORMAT not in LOGGING["formatters"]:
    raise ImproperlyConfigured(
        f"LOG_FORMAT={LOG_FORMAT!r} is not one of: {', '.join(LOGGING['formatters'])}."
    )
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )
