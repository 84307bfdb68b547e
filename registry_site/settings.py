"""Settings, all from environment variables (see .env.example).

Typed helpers (registry_site.env) read each variable; a bad value stops start-up with a
message that names the variable, so a misconfigured replica never starts half-working.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from django.core.exceptions import ImproperlyConfigured

from registry_site.env import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "registry",
    "lineage",
    "serving",
    "mlflow_compat",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and authentication, which would carry a NUL to the database.
    "registry_site.inputs.InputLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "registry_site.urls"
WSGI_APPLICATION = "registry_site.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "registry_site" / "templates"],
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


def _database(url: str) -> dict:
    try:
        config = dj_database_url.parse(url, conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60))
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE makes concurrent writers queue instead of failing on lock upgrade.
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
        config["CONN_MAX_AGE"] = 0
    return config


DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'registry.sqlite3'}"
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Artifact storage: one setting picks the folder or the S3 bucket; nothing else changes.
ARTIFACTS_URL = os.environ.get("ARTIFACTS_URL") or (VAR_DIR / "artifacts").as_uri()


def _s3_transfer_config() -> TransferConfig:
    """Parallel multipart uploads with few parts held in memory at once: the storage
    API hands boto3 a file object, whose parts s3transfer buffers in memory (10 by
    default) when uploads go through a file object; 8 MiB parts, 10 at a time, as boto3."""
    config = TransferConfig(multipart_threshold=8 * 1024**2, multipart_chunksize=8 * 1024**2, max_concurrency=10)
    config.max_in_memory_upload_chunks = 6
    return config


def _artifact_storage(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return {
            "BACKEND": "registry.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": parsed.path, "directory_permissions_mode": 0o750},
        }
    if parsed.scheme == "s3" and parsed.netloc:
        options = {
            "bucket_name": parsed.netloc,
            "location": parsed.path.strip("/"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_DEFAULT_REGION") or None,
            "file_overwrite": True,  # keys are content hashes: same key, same bytes
            "default_acl": None,
            "querystring_expire": envint("ARTIFACTS_PRESIGN_SECONDS", 300, minimum=1),
            "max_memory_size": 8 * 1024 * 1024,
            "transfer_config": _s3_transfer_config(),
            # Few quick retries, so an unreachable endpoint answers 503 in seconds.
            "client_config": BotoConfig(
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                signature_version="s3v4",
                # Off, as botocore itself does on https: every part carries a signed
                # CRC32 that S3 checks, and the registry checks the artifact's sha256
                # before each load. On an http endpoint, signing adds a sha256 pass over
                # every byte sent (a fifth of the upload's CPU).
                s3={"payload_signing_enabled": envbool("ARTIFACTS_SIGN_PAYLOADS", False)},
            ),
        }
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    raise ImproperlyConfigured(f"ARTIFACTS_URL must be file:///path or s3://bucket/prefix, not {url!r}")


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "artifacts": _artifact_storage(ARTIFACTS_URL),
}
# Off by default: a presigned URL names the S3 endpoint, which clients may not reach.
ARTIFACTS_REDIRECT_DOWNLOADS = envbool("ARTIFACTS_REDIRECT_DOWNLOADS", False)

REGISTRY_PUBLIC_READ = envbool("REGISTRY_PUBLIC_READ", False)
REGISTRY_MAX_UPLOAD_BYTES = envint("REGISTRY_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1)
SERVING_CACHE_MAX_MODELS = envint("SERVING_CACHE_MAX_MODELS", 16, minimum=1)
SERVING_MAX_BODY_BYTES = envint("SERVING_MAX_BODY_BYTES", 50 * 1024**2, minimum=1)
# Compile new versions to ONNX at registration and serve the forms that match the
# original; off: no compiling at registration, and every request served by scikit-learn.
SERVING_ONNX = envbool("SERVING_ONNX", True)
# Compile in a background task after the version commits (the upload never waits); off
# (tests): compile before the upload answers.
ONNX_COMPILE_IN_BACKGROUND = envbool("ONNX_COMPILE_IN_BACKGROUND", True)
OPENLINEAGE_URL = os.environ.get("OPENLINEAGE_URL", "")
OPENLINEAGE_API_KEY = os.environ.get("OPENLINEAGE_API_KEY", "")
# Stored lineage events are folded into the graph (and forwarded) by a background task
# that starts this long after an event: the events of that moment share one run.
LINEAGE_BATCH_WAIT_MS = envint("LINEAGE_BATCH_WAIT_MS", 1000)
# Largest OpenLineage event POST /api/v1/lineage accepts, after gzip decompression (413 above).
LINEAGE_MAX_EVENT_BYTES = envint("LINEAGE_MAX_EVENT_BYTES", 8 * 1024**2, minimum=1024)
# Webhook deliveries (webhooks.tasks): each attempt waits this long for the receiver; a
# failed one is tried again after WEBHOOK_RETRY_BASE_SECONDS, doubling, up to the maximum.
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 5, minimum=1)
WEBHOOK_RETRY_BASE_SECONDS = envint("WEBHOOK_RETRY_BASE_SECONDS", 2)

# Background work (registry_site.background) on Django's Tasks API. "database": tasks are
# rows that `manage.py db_worker` runs; "rq": Redis queues that
# `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler` runs.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": os.environ.get("TASKS_REDIS_URL", "redis://127.0.0.1:6379/0")}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database or rq, not {TASKS_BACKEND!r}")

# Failed credential checks (registry_site.throttling): past either limit within the window,
# checks from that address / for that username are refused with 429 before any password
# hash or token lookup. 0 switches a limit off.
AUTH_FAILURE_WINDOW_SECONDS = envint("AUTH_FAILURE_WINDOW_SECONDS", 300, minimum=1)
AUTH_FAILURES_PER_ADDRESS = envint("AUTH_FAILURES_PER_ADDRESS", 10)
AUTH_FAILURES_PER_USERNAME = envint("AUTH_FAILURES_PER_USERNAME", 5)
# How many reverse proxies in front of gunicorn append to X-Forwarded-For: the client
# address is the entry that many from the right. 0: REMOTE_ADDR (X-Forwarded-For ignored).
WEB_TRUSTED_PROXIES = envint("WEB_TRUSTED_PROXIES", 0)

# The counters live in the database, so every worker and replica shares them; `migrate`
# creates the table (registry.apps). Culling a full table forgets counters, so it is large.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "registry_throttle",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
}

# Uploads always spool to disk, never to memory: the artifact handler hashes while it writes.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None
FILE_UPLOAD_PERMISSIONS = 0o640

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"  # URL names: no path is written twice
LOGIN_REDIRECT_URL = "registry:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "registry_site" / "static"]

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry_site.access.TokenAuthentication",
        "registry_site.access.BearerTokenAuthentication",
        "registry_site.access.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registry.auth.CanRead"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # The shared JSON limits (registry_site.inputs) and DATA_UPLOAD_MAX_MEMORY_SIZE.
        "registry_site.inputs.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry_site.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Model registry API",
    "DESCRIPTION": "Registered models, versions, stages, aliases, artifacts and audit.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "registry.openapi.document_errors"],
    # Assets from the installed sidecar package: nothing is loaded from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
