"""Rekey settings: everything comes from the environment, with the embedded one-machine defaults.

Every name here is documented in the README's "Configuration" section; a setting the code never
reads does not belong here.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REKEY_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules or os.environ.get("REKEY_TESTING") == "1"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'rekey.sqlite3'}"
IS_SQLITE = DATABASE_URL.startswith("sqlite")
PRODUCTION = not DEBUG and not IS_SQLITE


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (DEBUG off with a non-SQLite DATABASE_URL): "
            "every server behind the load balancer needs the same one."
        )
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Created once, readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

if PRODUCTION and not os.environ.get("PUBLIC_URL"):
    raise ImproperlyConfigured(
        "PUBLIC_URL must be set in production: it is the only base of links in emails and "
        "tickets, and the issuer of API tokens."
    )
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "") or [PUBLIC_URL]

INSTALLED_APPS = [
    # First, so that its changepassword (through the one password service) wins over auth's.
    "accounts",
    # No django.contrib.admin: it skipped the second factor, the audit and the one password
    # service. Staff work in the dashboard; operators use the manage.py commands.
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Recovery codes of end users' authenticators (accounts.services.authenticators).
    "django_otp.plugins.otp_static",
    "tickets",
    "emails",
    "webhooks",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Oversized and deeply nested bodies answered in the JSON door's own error shape.
    "accounts.middleware.JsonBodyGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.UiLocalesMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Referrer-Policy no-referrer makes browsers send "Origin: null"; see the middleware.
    "accounts.middleware.SameOriginNullOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0 if IS_SQLITE else 60)
if IS_SQLITE:
    # WAL lets the web server and the worker share the file; IMMEDIATE transactions make a
    # writer take the lock up front, so single-use UPDATEs never fail half-way.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Fail fast: a dropped connection is noticed before use (not by the request that meets
    # it), a server that never answers costs REKEY_DB_CONNECT_TIMEOUT seconds, and no query
    # holds a connection longer than REKEY_DB_STATEMENT_TIMEOUT_MS (0: no limit; migrations
    # on big tables may need it raised).
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"]["connect_timeout"] = int(os.environ.get("REKEY_DB_CONNECT_TIMEOUT", 3))
    _statement_ms = int(os.environ.get("REKEY_DB_STATEMENT_TIMEOUT_MS", 10000))
    _db["OPTIONS"]["options"] = f"-c statement_timeout={_statement_ms} -c lock_timeout=5000"
if test_db_name := os.environ.get("REKEY_TEST_DB_NAME"):
    # Lets two test runs share one PostgreSQL server without clobbering each other.
    _db["TEST"] = {"NAME": test_db_name}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, rate limits ---------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("REKEY_CACHE_PREFIX", "rekey"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # An unreachable Redis costs a second, not a hung request.
                "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("REKEY_REDIS_TIMEOUT", 1)),
                "SOCKET_TIMEOUT": float(os.environ.get("REKEY_REDIS_TIMEOUT", 1)),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PUBLIC_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 8

RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# One rule per action: "N/PERIOD/KEY[~BURST]". PERIOD is s, m, h or d (optionally with a count,
# e.g. 10m). KEY is ip, key (the account or email) or ip_key. BURST defaults to N. The rules are
# a generic cell rate algorithm: up to BURST at once, then one every PERIOD/N.
REKEY_RATELIMITS: dict[str, str] = {
    # Per IP only: a per-account limit would let anyone lock an account out. Guessing one
    # account is stopped by brute-force protection instead (REKEY_BRUTE_FORCE below).
    "login": "30/m/ip",
    # The dashboard's re-authentication (only the signed-in staff member can spend it).
    "reauth": "30/m/ip,10/m/key",
    # Auth0: per IP, and per IP + email "burst 10, then 1 a minute" (silent).
    "change_password": "60/m/ip",
    "change_password_email": "1/m/ip_key~10",
    # Per email whatever the address, silent. Adobe Commerce allows 5 an hour, 10 minutes apart;
    # as one GCRA rule that is one every 12 minutes, so never more than 5 in an hour.
    "change_password_email_any": "5/h/key~1",
    "reset_set": "30/m/ip",
    # Tries of one ticket (each refused one may cost a history check of up to 24 hashes).
    "reset_set_ticket": "5/m/key",
    # Reset codes typed on the code page, per address and per email (five wrong burn a code).
    "reset_code": "20/m/ip,10/h/key~5",
    # Reset links that are unknown, used or expired, per address.
    "reset_link_bad": "10/m/ip",
    # Unblock links (the page), per address.
    "unblock": "30/m/ip",
    # blocked_account emails per user (one link releases all of the user's blocks).
    "blocked_account_email": "1/h/key",
    "oauth_token": "60/m/ip",
    "management_api": "50/s/key~100",
}
for _action, _rule in list(REKEY_RATELIMITS.items()):
    if _override := os.environ.get(f"REKEY_RATELIMIT_{_action.upper()}"):
        REKEY_RATELIMITS[_action] = _override
# A rate-limited request writes one log row per window and key; the rest are counted into the
# next row's details ("suppressed"), so a flood cannot write unbounded rows.
RATELIMIT_LOG_WINDOW = int(os.environ.get("RATELIMIT_LOG_WINDOW", "60"))

# Brute-force protection (Auth0's): after `threshold` consecutive failed logins into one account
# from one IP, that pair is blocked (other IPs still log in) and the user gets an unblock link.
# Failure counts live in the cache (Redis when REDIS_URL is set) for `window` seconds.
REKEY_BRUTE_FORCE = {
    "enabled": env_bool("BRUTE_FORCE_ENABLE", True),
    "threshold": int(os.environ.get("BRUTE_FORCE_THRESHOLD", "10")),
    "window": int(os.environ.get("BRUTE_FORCE_WINDOW", str(24 * 3600))),
}
# How long a Management API request trusts its cached view of the client's grant (seconds).
REKEY_GRANT_CACHE_SECONDS = int(os.environ.get("REKEY_GRANT_CACHE_SECONDS", "30"))

# --- Passwords ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.ConnectionBackend"]
LOGIN_URL = "/u/login"
LOGIN_REDIRECT_URL = "/u/login"

# Django's own doors (createsuperuser, validate_password, any form) obey the connection policy.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.policy.ConnectionPolicyValidator"}]

PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# OWASP's Argon2id profile (m=19 MiB, t=2, p=1). Raise memory_cost (KiB) or time_cost here;
# existing hashes are upgraded on each user's next login.
REKEY_ARGON2 = {
    "time_cost": int(os.environ.get("REKEY_ARGON2_TIME_COST", 2)),
    "memory_cost": int(os.environ.get("REKEY_ARGON2_MEMORY_COST", 19456)),
    "parallelism": int(os.environ.get("REKEY_ARGON2_PARALLELISM", 1)),
}
# Imported hashes above these costs are refused: verifying one costs what its author chose, on
# a login page anyone can post to. Auth0 exports bcrypt at cost 10 (0.12 s on one core here);
# 12 is 0.56 s. Argon2's memory is in KiB: 64 MiB at t=4, p=4 is about 0.4 s.
# The largest users file POST /api/v2/jobs/users-imports takes (Auth0's limit is 500 KB).
REKEY_IMPORT_MAX_BYTES = int(os.environ.get("REKEY_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
REKEY_IMPORT_MAX_COST = {
    "bcrypt_rounds": int(os.environ.get("REKEY_IMPORT_MAX_BCRYPT_ROUNDS", 12)),
    "argon2_memory_kib": int(os.environ.get("REKEY_IMPORT_MAX_ARGON2_MEMORY", 65536)),
    "argon2_time": int(os.environ.get("REKEY_IMPORT_MAX_ARGON2_TIME", 4)),
    "argon2_parallelism": int(os.environ.get("REKEY_IMPORT_MAX_ARGON2_PARALLELISM", 4)),
}
# No silent truncation: longer passwords are refused, shorter limits are never allowed below 64.
REKEY_PASSWORD_MAX_LENGTH = max(64, int(os.environ.get("REKEY_PASSWORD_MAX_LENGTH", 256)))
REKEY_PASSWORD_HISTORY_MAX = 24
# ASVS 5.0 6.4.6: organisations may forbid anyone but the user setting a password.
REKEY_ALLOW_DIRECT_PASSWORD_SET = env_bool("REKEY_ALLOW_DIRECT_PASSWORD_SET", True)
# Dotted paths of callables(user=..., door=...) run after a password change commits; a failure
# is logged as "fcph" and never undoes the change.
REKEY_POST_CHANGE_HOOKS = env_list("REKEY_POST_CHANGE_HOOKS", "")
# Staff must re-enter their password before Danger Zone actions after this many seconds.
REKEY_REAUTH_SECONDS = 600
REKEY_REQUIRE_STAFF_OTP = env_bool("REKEY_REQUIRE_STAFF_OTP", False)
REKEY_DEFAULT_CONNECTION = "Username-Password-Authentication"
# Whom a blocked user (who typed the right password) is told to contact, and an optional text
# that replaces the default message on that page.
REKEY_SUPPORT_EMAIL = os.environ.get("REKEY_SUPPORT_EMAIL", "")
REKEY_SUPPORT_URL = os.environ.get("REKEY_SUPPORT_URL", "")
REKEY_BLOCKED_MESSAGE = os.environ.get("REKEY_BLOCKED_MESSAGE", "")

# --- Tokens -------------------------------------------------------------------------------
REKEY_JWT_PRIVATE_KEY_PATH = Path(
    os.environ.get("REKEY_JWT_PRIVATE_KEY_PATH", VAR_DIR / "jwt_signing_key.pem")
)
REKEY_JWT_PREVIOUS_KEY_PATHS = env_list("REKEY_JWT_PREVIOUS_KEY_PATHS", "")
REKEY_ACCESS_TOKEN_LIFETIME = int(os.environ.get("REKEY_ACCESS_TOKEN_LIFETIME", 86400))
REKEY_TICKET_RETENTION_DAYS = int(os.environ.get("REKEY_TICKET_RETENTION_DAYS", 30))
# Seconds a reset code lives (connections whose reset method is "code"); five wrong tries burn it.
REKEY_RESET_CODE_LIFETIME = int(os.environ.get("REKEY_RESET_CODE_LIFETIME", 900))

# --- Email --------------------------------------------------------------------------------
# EMAIL_BACKEND and the EMAIL_* names are read from the environment, as the README documents,
# and turned into Django 6.1's MAILERS (the EMAIL_* settings themselves are deprecated there).
EMAIL_BACKEND_PATH = os.environ.get("EMAIL_BACKEND", "emails.backends.LocalInboxBackend")
_mailer_options: dict[str, object] = {}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mailer_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", 25)),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": int(os.environ.get("EMAIL_TIMEOUT", 30)),
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _mailer_options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mailer_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Rekey <no-reply@localhost>")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}
REKEY_EMAIL_MAX_ATTEMPTS = int(os.environ.get("REKEY_EMAIL_MAX_ATTEMPTS", 5))
# Seconds before retry n (1-based) of a temporary provider failure; the last value repeats.
# A permanent refusal (SMTP 5xx, an ESP's "rejected") fails at once.
REKEY_EMAIL_BACKOFF = [int(s) for s in env_list("REKEY_EMAIL_BACKOFF", "5,30,120,600,1800")]
# A worker keeps its SMTP connection open this long between messages (0: one per message).
REKEY_SMTP_REUSE_SECONDS = float(os.environ.get("REKEY_SMTP_REUSE_SECONDS", 30))
# One delivery task claims (in one statement) and sends up to this many ready emails; the other
# rows' own tasks then find nothing to do. 1: one email per task.
# Seconds a process keeps its copy of an application and a connection for the forgot-password
# API's hot path (its own changes drop it at once; another process's are seen after this).
REKEY_CONFIG_CACHE_SECONDS = float(os.environ.get("REKEY_CONFIG_CACHE_SECONDS", 5))
REKEY_EMAIL_BATCH_SIZE = int(os.environ.get("REKEY_EMAIL_BATCH_SIZE", 50))
# SMTP connections (threads) a worker sends a batch over at once, so that one slow answer from
# the provider does not hold up the others; each is reused as above. 1: one at a time.
REKEY_SMTP_CONCURRENCY = int(os.environ.get("REKEY_SMTP_CONCURRENCY", 4))
REKEY_LOCAL_INBOX_ECHO = env_bool("REKEY_LOCAL_INBOX_ECHO", not TESTING)

# Outgoing webhooks (Standard Webhooks): attempts per delivery, seconds before retry n (the last
# value repeats), the per-request timeout, how long a rotated secret still signs beside the new
# one, and whether endpoints may be loopback, private or link-local addresses (off: SSRF).
REKEY_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("REKEY_WEBHOOK_MAX_ATTEMPTS", 8))
REKEY_WEBHOOK_BACKOFF = [
    int(s) for s in env_list("REKEY_WEBHOOK_BACKOFF", "5,30,120,600,1800,3600,7200")
]
REKEY_WEBHOOK_TIMEOUT = float(os.environ.get("REKEY_WEBHOOK_TIMEOUT", 10))
REKEY_WEBHOOK_SECRET_OVERLAP_HOURS = int(os.environ.get("REKEY_WEBHOOK_SECRET_OVERLAP_HOURS", 24))
REKEY_WEBHOOK_ALLOW_PRIVATE = env_bool("REKEY_WEBHOOK_ALLOW_PRIVATE", False)
# Log streams (Auth0's type http): events per batch, how long a batch waits for transactions
# still committing log rows (so none is passed over), and consecutive failures before a stream
# is suspended. Retries follow REKEY_WEBHOOK_BACKOFF; URLs follow the same SSRF rule.
REKEY_LOG_STREAM_BATCH = int(os.environ.get("REKEY_LOG_STREAM_BATCH", 100))
REKEY_LOG_STREAM_LAG_SECONDS = float(os.environ.get("REKEY_LOG_STREAM_LAG_SECONDS", 5))
REKEY_LOG_STREAM_SUSPEND_AFTER = int(os.environ.get("REKEY_LOG_STREAM_SUSPEND_AFTER", 10))

# The task engine: "db" (django-tasks-db: the queue is a table; the embedded default) or "rq"
# (RQ on Redis, through django-tasks-rq: production; needs REDIS_URL, persisted with
# appendonly). Either way the outbox row is the source of truth and the sweep backs it up.
REKEY_TASKS = os.environ.get("REKEY_TASKS", "db")
if REKEY_TASKS == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("REKEY_TASKS=rq needs REDIS_URL.")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60} for name in ("email", "default")}
    TASKS = {"default": {"BACKEND": "emails.engine.RekeyRQBackend", "QUEUES": ["default", "email"]}}
elif REKEY_TASKS == "db":
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email"],
        }
    }
else:
    raise ImproperlyConfigured('REKEY_TASKS is "db" or "rq".')
# /metrics (Prometheus): answered to "Authorization: Bearer <this>" or a staff session only.
REKEY_METRICS_TOKEN = os.environ.get("REKEY_METRICS_TOKEN", "")
REKEY_METRICS_WINDOW_SECONDS = int(os.environ.get("REKEY_METRICS_WINDOW_SECONDS", 300))
# How often RQ tries a job again (an outage, a killed worker), after REKEY_TASK_RETRY_BACKOFF.
REKEY_TASK_MAX_RETRIES = int(os.environ.get("REKEY_TASK_MAX_RETRIES", 20))
# A claimed task or delivery whose worker has not finished it after this long is taken as lost
# with its worker, and the sweep hands it back (keep it above EMAIL_TIMEOUT).
REKEY_TASK_LEASE_SECONDS = int(os.environ.get("REKEY_TASK_LEASE_SECONDS", 45))
# A task that lost this many workers is failed (with "fn" logged) instead of tried again.
REKEY_TASK_MAX_RUNS = int(os.environ.get("REKEY_TASK_MAX_RUNS", 5))
# Seconds before a task interrupted by an outage of the database or Redis is tried again.
REKEY_TASK_RETRY_BACKOFF = [int(s) for s in env_list("REKEY_TASK_RETRY_BACKOFF", "2,5,15,30,60")]
# manage.py rekey_sweep: how often it looks for stalled work, and how often it purges.
REKEY_SWEEP_INTERVAL = float(os.environ.get("REKEY_SWEEP_INTERVAL", 10))
REKEY_PURGE_INTERVAL = float(os.environ.get("REKEY_PURGE_INTERVAL", 3600))
# Finished task results (their arguments hold typed emails and IPs) are deleted after this.
REKEY_TASK_RETENTION_HOURS = int(os.environ.get("REKEY_TASK_RETENTION_HOURS", 24))

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rekey Management API",
    "DESCRIPTION": "Auth0-compatible Management API v2 for users, passwords and tickets.",
    "VERSION": "2",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v2",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, CSP 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

CORS_URLS_REGEX = r"^/(dbconnections|oauth)/.*$|^/userinfo$"
# Origins are checked per request against the application's allowed origins (no restart).
CORS_ALLOW_CREDENTIALS = False

# --- Security headers ---------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
if PUBLIC_URL.startswith("https://"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))

# --- I18n, static -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development and tests, serve straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if TESTING:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Logging: never the address, the password or the token -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A reset link's ticket (and any other secret in a URL) never reaches a log line.
    "filters": {"redact": {"()": "accounts.redaction.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
