"""Settings shared by every environment. Everything that differs comes from the environment."""

import datetime as dt
import os
import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ZHITONG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # Zhitong's apps, bottom to top: each imports only from those above it in this list
    # (core, a plain package of shared errors, clock and parameters, sits below them all).
    "responders",
    "catalogue",
    "grievances",
    "alerts",
    "escalation",
    "intake",
    "meetings",
    "reports",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SlideSessionExpiry",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.ApiEnvelopeMiddleware",
    "config.middleware.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a sign-in refused for too many failures into our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite by default so `make run` needs nothing but Python; PostgreSQL through DATABASE_URL.
# A persistent connection is checked before its first use in each request, so one that the
# server dropped meanwhile (PostgreSQL restarted, a failover) is replaced instead of failing
# that request.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "responders.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in resists guessing (django-axes; README "Configuration", "Operations"). Every failed
# sign-in, on /accounts/login/ or /admin/login/, is recorded; an account is locked after
# ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT failures from anywhere, an address after
# ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS failures for any accounts (a street office signs in
# from behind one address, hence the larger number), each until ZHITONG_SIGN_IN_LOCK_MINUTES
# pass without another failure. An administrator unlocks in the admin (Axes → access
# attempts: delete the rows) or with `manage.py axes_reset_username` / `axes_reset_ip`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked account or address
    "django.contrib.auth.backends.ModelBackend",
]
ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT = int(os.environ.get("ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT", "5"))
ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS = int(os.environ.get("ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS", "30"))
ZHITONG_SIGN_IN_LOCK_MINUTES = int(os.environ.get("ZHITONG_SIGN_IN_LOCK_MINUTES", "30"))
# How many reverse proxies in front of the web server append to X-Forwarded-For: 0 reads the
# address from the connection; behind one proxy, 1 (else every sign-in comes from the proxy).
ZHITONG_TRUSTED_PROXIES = int(os.environ.get("ZHITONG_TRUSTED_PROXIES", "0"))
if not 1 <= ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT <= ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS:
    raise ImproperlyConfigured(
        "ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT must be at least 1 and at most ZHITONG_SIGN_IN_FAILURES_PER_ADDRESS."
    )
if ZHITONG_SIGN_IN_LOCK_MINUTES < 1 or ZHITONG_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("ZHITONG_SIGN_IN_LOCK_MINUTES must be at least 1, ZHITONG_TRUSTED_PROXIES at least 0.")
AXES_HANDLER = "config.lockout.SignInAttempts"  # the two limits above, one per parameter
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = ZHITONG_SIGN_IN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = dt.timedelta(minutes=ZHITONG_SIGN_IN_LOCK_MINUTES)
AXES_LOCKOUT_CALLABLE = "config.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_address"
# A success clears that account's failures from that address only (config.lockout): axes'
# own reset would also clear every failure from the address, so one valid account could
# wipe the record of guesses at others.
AXES_RESET_ON_SUCCESS = False

# Staff sessions end after a working day without a request: each request moves the expiry
# (config.middleware.SlideSessionExpiry, at most one session write every five minutes).
ZHITONG_SESSION_IDLE_HOURS = float(os.environ.get("ZHITONG_SESSION_IDLE_HOURS", "10"))
if ZHITONG_SESSION_IDLE_HOURS <= 0:
    raise ImproperlyConfigured("ZHITONG_SESSION_IDLE_HOURS must be more than 0.")
SESSION_COOKIE_AGE = round(ZHITONG_SESSION_IDLE_HOURS * 3600)

# Content-Security-Policy (django-csp) on every response: our own scripts, styles and images
# only; no inline script or style, no eval. The screens' JavaScript is static/zhitong.js and
# htmx, both from our static files (README "Screens").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The street's map (/map/): a tile server's URL template, e.g. https://tiles.example/{z}/{x}/{y}.png
# (Web Mercator, 256 px tiles). Empty: the map draws its points over a plain grid and fetches
# nothing. When set, the map page alone adds the template's host to its img-src
# (grievances.views.street_map); every other page keeps the policy above.
ZHITONG_MAP_TILE_URL = os.environ.get("ZHITONG_MAP_TILE_URL", "").strip()
if ZHITONG_MAP_TILE_URL and not re.match(r"^https?://[^/{}]+/", ZHITONG_MAP_TILE_URL):
    raise ImproperlyConfigured(
        "ZHITONG_MAP_TILE_URL must be an http(s) URL template like https://host/{z}/{x}/{y}.png."
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Simplified Chinese by default, English one click away.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Stored in UTC, computed and shown in Asia/Shanghai (DESIGN.md rule 3).
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Photos (and nothing else) go to the default storage: a folder under var/ that no URL serves.
# They are read only through the views that apply the visibility rule (escalation.photos,
# the API), never from a public media URL: there is no MEDIA_URL route.
MEDIA_ROOT = Path(os.environ.get("ZHITONG_MEDIA_DIR", VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A photo upload larger than this is refused (the phone scales to about 1600 px, ~0.5 MB);
# one with more pixels than this is refused before it is decoded (decompression bombs).
ZHITONG_PHOTO_MAX_BYTES = int(os.environ.get("ZHITONG_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
ZHITONG_PHOTO_MAX_PIXELS = int(os.environ.get("ZHITONG_PHOTO_MAX_PIXELS", str(40_000_000)))
ZHITONG_PHOTO_MAX_SIDE = int(os.environ.get("ZHITONG_PHOTO_MAX_SIDE", "1600"))
ZHITONG_PHOTOS_PER_UPLOAD = 6

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport, which needs
# no server at all (enough for `make run`: one worker with embedded beat).
REDIS_URL = os.environ.get("REDIS_URL", "")
# Redis trouble degrades, never stalls: a Redis that does not answer within this many
# seconds counts as down for the request at hand (the partner key is read from PostgreSQL,
# the throttle lets the request through, an alert waits for the sweep to re-send it).
REDIS_TIMEOUT_SECONDS = float(os.environ.get("ZHITONG_REDIS_TIMEOUT_SECONDS", "0.25"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # Without these a publish to a hung Redis waits forever (kombu's default). The
        # worker's BRPOP runs in its event loop, which no socket timeout applies to.
        "socket_timeout": 2 * REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": 2 * REDIS_TIMEOUT_SECONDS,
    }
    # One try, then give up (Celery's default retries thrice, a socket timeout each): what
    # is published after a commit and never arrived is re-sent by the sweep.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
else:
    # Every folder the transport writes, named here: kombu's defaults are relative to the
    # working directory (its exchange table would land in ./control/ of the checkout).
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Every line we log has Open311's `api_key=` (a partner's secret, in its query strings)
# redacted: on the console handler, and on the two Django loggers that print request lines
# and paths (runserver's `django.server` has its own handler otherwise). gunicorn's access
# log is configured apart: docker-compose.yml prints the path without the query string.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.logfilters.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "loggers": {
        "django.server": {"handlers": ["console"], "filters": ["redact_secrets"], "level": "INFO", "propagate": False},
        "django.request": {"filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Zhitong's own rules (DESIGN.md). SLA policies themselves are rows, editable in the admin.
ZHITONG_FEEDBACK_WINDOW_WORKING_DAYS = 5
ZHITONG_REFERRAL_ANSWER_MONTHS = 1
ZHITONG_REOPEN_WINDOW_DAYS = 30
# The longest honest pause of a ticket's clock (waiting on the resident or a third party), in
# working days; then the sweep lets the clock run again.
ZHITONG_PAUSE_MAX_WORKING_DAYS = int(os.environ.get("ZHITONG_PAUSE_MAX_WORKING_DAYS", "10"))
if ZHITONG_PAUSE_MAX_WORKING_DAYS < 1:
    raise ImproperlyConfigured("ZHITONG_PAUSE_MAX_WORKING_DAYS must be at least 1.")
ZHITONG_SWEEP_BATCH_SIZE = int(os.environ.get("ZHITONG_SWEEP_BATCH_SIZE", "1000"))
ZHITONG_SWEEP_INTERVAL_SECONDS = float(os.environ.get("ZHITONG_SWEEP_INTERVAL_SECONDS", "60"))
# Extra alert channels (SMS, e-mail) by dotted path; the in-app inbox is always on.
ZHITONG_ALERT_CHANNELS = env_list("ZHITONG_ALERT_CHANNELS")

ZHITONG_WEBHOOK_INTERVAL_SECONDS = float(os.environ.get("ZHITONG_WEBHOOK_INTERVAL_SECONDS", "10"))
# Webhooks reach public addresses only (api/outbound.py); these host names are exempt (an
# on-premises partner, the tests' local receiver). Plain http is refused where HTTPS_ONLY.
ZHITONG_WEBHOOK_ALLOWED_HOSTS = [h for h in os.environ.get("ZHITONG_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()]
ZHITONG_WEBHOOK_HTTPS_ONLY = os.environ.get("ZHITONG_WEBHOOK_HTTPS_ONLY", "false").lower() == "true"
# How long a partner's Idempotency-Key is remembered: at least a day, the contract's promise.
ZHITONG_IDEMPOTENCY_KEEP_DAYS = int(os.environ.get("ZHITONG_IDEMPOTENCY_KEEP_DAYS", "7"))
if ZHITONG_IDEMPOTENCY_KEEP_DAYS < 1:
    raise ImproperlyConfigured("ZHITONG_IDEMPOTENCY_KEEP_DAYS must be at least 1: partners may retry for 24 hours.")
# Residents' personal data (DESIGN.md rule 9): visit notes are blanked after this many days
# (default three years, a full round of yearly visits and more); 0 keeps them for ever.
ZHITONG_VISIT_NOTES_KEEP_DAYS = int(os.environ.get("ZHITONG_VISIT_NOTES_KEEP_DAYS", "1095"))
if ZHITONG_VISIT_NOTES_KEEP_DAYS < 0:
    raise ImproperlyConfigured("ZHITONG_VISIT_NOTES_KEEP_DAYS must be 0 (keep for ever) or more.")
CELERY_BEAT_SCHEDULE = {
    # 社情民意月报: last month's report for every street, on the 1st at 02:00 Shanghai time.
    "monthly-reports": {
        "task": "reports.tasks.generate_monthly_reports",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "sweep-overdue-tickets": {
        "task": "escalation.tasks.sweep_overdue_tickets",
        "schedule": ZHITONG_SWEEP_INTERVAL_SECONDS,
        # A sweep that could not start within its interval is superseded by the next one.
        "options": {"expires": ZHITONG_SWEEP_INTERVAL_SECONDS},
    },
    # Each zone's next public-opinion day, each street's next harmony council, and so on.
    "schedule-recurring-meetings": {
        "task": "meetings.tasks.schedule_recurring_meetings",
        "schedule": crontab(minute=30, hour=1),
    },
    # Partner webhooks: fan new ticket events out to subscriptions, send what is due.
    "dispatch-webhooks": {
        "task": "api.tasks.dispatch_webhooks",
        "schedule": ZHITONG_WEBHOOK_INTERVAL_SECONDS,
        "options": {"expires": ZHITONG_WEBHOOK_INTERVAL_SECONDS},
    },
    # Idempotency records past ZHITONG_IDEMPOTENCY_KEEP_DAYS, nightly.
    "purge-idempotency-records": {
        "task": "api.tasks.purge_idempotency_records",
        "schedule": crontab(minute=10, hour=3),
    },
    # Visit notes past ZHITONG_VISIT_NOTES_KEEP_DAYS, nightly.
    "purge-old-visit-notes": {
        "task": "grievances.tasks.purge_old_visit_notes",
        "schedule": crontab(minute=20, hour=3),
    },
}

# Throttling counters and other short-lived shared state: Redis when there is one, with
# short socket timeouts (no timeout is redis-py's default: a hung Redis would hang requests).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The partner API (DESIGN.md "Partner REST API (v1)").
API_MAX_BODY_BYTES = int(os.environ.get("ZHITONG_API_MAX_BODY_BYTES", str(64 * 1024)))
# A new ticket (POST tickets/) may carry photos in base64: its body may be this large.
API_MAX_PHOTO_BODY_BYTES = int(os.environ.get("ZHITONG_API_MAX_PHOTO_BODY_BYTES", str(16 * 1024 * 1024)))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PartnerKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"partner": os.environ.get("ZHITONG_API_RATE", "1200/min")},
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zhitong partner API",
    "DESCRIPTION": (
        "File residents' requests as tickets and follow them through the zone, committee and "
        "street tiers. Authenticate with `Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "core.enums.Status",
        "TicketTierEnum": "core.enums.Tier",
        "TicketEventKindEnum": "grievances.models.EventKind",
        "TicketKindEnum": "core.enums.TicketKind",
        "PauseReasonEnum": "core.enums.PauseReason",
    },
}
