"""CTO Portal settings: every knob is read from the environment (12-factor).

Defaults make ``make run`` work with nothing installed (SQLite, eager Celery, local
memory cache). Production sets ``DEBUG=0`` and must then provide ``SECRET_KEY`` and
``ALLOWED_HOSTS``; a malformed value stops the start with ``ImproperlyConfigured``
naming the variable.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: an unknown spelling is a configuration error, not False."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_url(name: str, default: str | None) -> str | None:
    raw = env.str(name, default=None)
    if raw is None or raw.strip() == "":
        return default
    if "://" not in raw:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a URL (expected scheme://...).")
    return raw.strip()


TESTING = "pytest" in sys.modules
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdefghijklmnop"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if (DEBUG or TESTING) else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the portal's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Applications ---------------------------------------------------------------------------
# PORTAL_APPS is also the list the URL conf, the API router and the navigation walk to find
# each app's urls.py, api.py and nav.py, so adding an app touches only this list.
PORTAL_APPS = [
    "apps.core",
    "apps.accounts",
    "apps.org",
    "apps.syncs",
    "apps.knowledge",
    "apps.security",
    "apps.costs",
    "apps.infra",
    "apps.reviews",
    "apps.initiatives",
    "apps.dashboard",
    "apps.search",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "csp",
    *PORTAL_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL character in a query parameter or form field: 400 naming it, before any view.
    "apps.core.middleware.RejectNulMiddleware",
    # A session whose user now needs a second factor it never gave is signed out (role change).
    "apps.accounts.middleware.MfaEnforcementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cto_portal.urls"
WSGI_APPLICATION = "cto_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.portal",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------------
_database_url = env_url("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {"default": environ.Env.db_url_config(_database_url)}
    if not DATABASES["default"].get("ENGINE"):
        raise ValueError("unknown scheme")
except Exception as exc:  # django-environ raises assorted errors for a bad URL
    raise ImproperlyConfigured(
        f"DATABASE_URL is malformed ({exc}); expected postgres://user@host:5432/name or sqlite:///path."
    ) from None
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when the eager worker and a request overlap.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, broker ------------------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", None)
if REDIS_URL:
    _cache_url = REDIS_URL
    _xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if TESTING and _xdist_worker.startswith("gw"):
        # Parallel test processes share one Redis: each gets its own database for the cache, so
        # one process's cache.clear() (FLUSHDB) never empties another's sessions or counters.
        _parts = urlsplit(REDIS_URL)
        _base = int(_parts.path.lstrip("/") or 0)
        _index = int(_xdist_worker[2:])
        _db = _base - _index if _base >= _index else _base + _index
        _cache_url = urlunsplit(_parts._replace(path=f"/{_db}"))
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are written to the database and read through the cache (one query less a request).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Eager (in-process) without a broker, and inside the test process: tests that need a real
# worker start one (tests/integration) and send to Redis explicitly.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", REDIS_URL is None or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 55 * 60, minimum=1)
# Redis re-delivers an unacknowledged task after the visibility timeout; it must outlive the
# longest task or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60, minimum=1)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env.str("TIME_ZONE", default="UTC")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Auth ---------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Two-factor (TOTP, django-otp) -------------------------------------------------------------------
# Required for the CTO, HR and finance roles (apps/accounts/selectors.py); enforced by the login
# flow itself: the password (or SSO) step never signs in a user who owes a second factor.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CTO Portal")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes a device refuses for 2^(n-1) seconds
MFA_PENDING_SECONDS = env_int("MFA_PENDING_SECONDS", 5 * 60, minimum=30)

# Single sign-on (OpenID Connect) -----------------------------------------------------------------
# All three set: the login page offers "Sign in with ...". None set: local passwords only.
OIDC_ISSUER_URL = env_url("OIDC_ISSUER_URL", None)
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="").strip()
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="").strip()
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on").strip() or "single sign-on"
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile").strip()
# Trust the IdP's `amr` claim (RFC 8176: mfa, otp, hwk, ...) as the portal's second factor.
# Off by default: the CTO, HR and finance still enter their portal TOTP after SSO.
OIDC_TRUST_IDP_MFA = env_bool("OIDC_TRUST_IDP_MFA", False)
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)


def _check_oidc() -> None:
    from urllib.parse import urlsplit

    given = {name: bool(value) for name, value in (
        ("OIDC_ISSUER_URL", OIDC_ISSUER_URL), ("OIDC_CLIENT_ID", OIDC_CLIENT_ID),
        ("OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET))}
    if not any(given.values()):
        return
    missing = [name for name, ok in given.items() if not ok]
    if missing:
        raise ImproperlyConfigured(
            f"Single sign-on is half configured: {', '.join(missing)} missing. Set OIDC_ISSUER_URL, "
            "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together, or none of them.")
    parts = urlsplit(OIDC_ISSUER_URL)
    local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme not in {"https", "http"} or not parts.hostname or (parts.scheme == "http" and not local):
        raise ImproperlyConfigured(
            f"OIDC_ISSUER_URL={OIDC_ISSUER_URL!r} must be an https:// URL (plain http only for localhost).")
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(f"OIDC_ISSUER_URL={OIDC_ISSUER_URL!r} must not carry a query or fragment.")
    if "openid" not in OIDC_SCOPES.split():
        raise ImproperlyConfigured(f"OIDC_SCOPES={OIDC_SCOPES!r} must include 'openid'.")


_check_oidc()

# Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT_OVERRIDE", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
        "apps.core.api_auth.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api_auth.IsPortalUser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api_auth.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.api_auth.TokenRateThrottle"],
    # Tests make thousands of calls with one token (fuzzing); their own throttle test sets a low rate.
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_THROTTLE_RATE", default="1000000/hour" if TESTING else "6000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CTO Portal API",
    "DESCRIPTION": "Internal REST API of the CTO Portal. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "InfraResourceKindEnum": "apps.infra.models.Resource.Kind",
        "InfraFindingKindEnum": "apps.infra.models.Finding.Kind",
        "InfraRequestKindEnum": "apps.infra.models.InfraRequest.Kind",
        "InfraRequestStatusEnum": "apps.infra.models.InfraRequest.Status",
        "AmaQuestionStatusEnum": "apps.security.models.AmaQuestion.Status",
        "ReviewCycleStageEnum": "apps.reviews.models.ReviewCycle.Stage",
        "CostAnomalyStatusEnum": "apps.costs.models.CostAnomaly.Status",
        "SyncRunStatusEnum": "apps.core.models.SyncRun.Status",
        "InitiativeStatusEnum": "apps.initiatives.models.Initiative.Status",
        "SearchKindEnum": "apps.search.kinds.KIND_CHOICES",
        "InitiativeKindEnum": "apps.initiatives.models.Initiative.Kind",
    },
}

# Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60, minimum=60)
_HTTPS = env_bool("HTTPS", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp): scripts only from our own static files — no inline
# scripts, no eval, no CDN. Inline *style attributes* stay allowed (progress-bar widths and
# Bootstrap/Swagger markup use them); they cannot run code.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Project knobs --------------------------------------------------------------------------------
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD").upper()
if not re.fullmatch(r"[A-Z]{3}", REPORTING_CURRENCY):
    raise ImproperlyConfigured(f"REPORTING_CURRENCY={REPORTING_CURRENCY!r} is not an ISO 4217 code such as USD.")
# Cost tag dimension: the tag keys whose values the costs app keeps a daily total for
# ("what did resources tagged initiative=X cost"); the keys of the cost tag rules are added.
COST_TAG_KEYS = [k.strip().lower() for k in env.list("COST_TAG_KEYS", default=["initiative", "project", "team"]) if k.strip()]
# The key a bare cost tag value (e.g. an initiative's "invoice-ocr") is read under.
COST_TAG_DEFAULT_KEY = env.str("COST_TAG_DEFAULT_KEY", default="initiative").strip().lower()
# PostgreSQL: import cost files with COPY and SQL (off: the streaming Python reader, as on SQLite).
COSTS_COPY_IMPORT = env_bool("COSTS_COPY_IMPORT", True)
# Extra Cost Explorer requests per account and sync (GroupBy TAG, $0.01 each); "team" comes free with the main pull.
COST_CE_TAG_KEYS = [k.strip() for k in env.list("COST_CE_TAG_KEYS", default=["initiative", "project"]) if k.strip()]
# Key for encrypting the most sensitive columns (salaries). Required in production.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY and not (DEBUG or TESTING):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off (see README).")


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, binascii.Error):
        return False


if FIELD_ENCRYPTION_KEY and not all(_is_fernet_key(k.strip()) for k in FIELD_ENCRYPTION_KEY.split(",")):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be one or more comma-separated Fernet keys (32 url-safe base64 bytes each); "
        'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
    )
# The shared-service tests: with it set, a test that needs PostgreSQL/Redis fails instead of skipping.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", False)
AWS_ENDPOINT_URL = env_url("AWS_ENDPOINT_URL", None)
# Regions the inventory sync reads when an account lists none of its own.
AWS_INVENTORY_REGIONS = env.list("AWS_INVENTORY_REGIONS", default=["us-east-1", "eu-west-1"])
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cto-portal@example.com")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

if TESTING:
    # A fast hasher keeps fixtures with a login per role cheap; never used outside tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
