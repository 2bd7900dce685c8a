"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
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
    # Zhitong's apps, bottom to top: each imports only from those above it in this list
    # (core, a plain package of shared errors, clock and parameters, sits below them all).
    "responders",
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
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.ApiEnvelopeMiddleware",
    "config.middleware.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Zhitong's own rules (DESIGN.md). SLA policies themselves are rows, editable in the admin.
ZHITONG_FEEDBACK_WINDOW_WORKING_DAYS = 5
ZHITONG_REFERRAL_ANSWER_MONTHS = 1
ZHITONG_REOPEN_WINDOW_DAYS = 30
ZHITONG_SWEEP_BATCH_SIZE = int(os.environ.get("ZHITONG_SWEEP_BATCH_SIZE", "1000"))
ZHITONG_SWEEP_INTERVAL_SECONDS = float(os.environ.get("ZHITONG_SWEEP_INTERVAL_SECONDS", "60"))
# Extra alert channels (SMS, e-mail) by dotted path; the in-app inbox is always on.
ZHITONG_ALERT_CHANNELS = env_list("ZHITONG_ALERT_CHANNELS")

ZHITONG_WEBHOOK_INTERVAL_SECONDS = float(os.environ.get("ZHITONG_WEBHOOK_INTERVAL_SECONDS", "10"))
# How long a partner's Idempotency-Key is remembered: at least a day, the contract's promise.
ZHITONG_IDEMPOTENCY_KEEP_DAYS = int(os.environ.get("ZHITONG_IDEMPOTENCY_KEEP_DAYS", "7"))
if ZHITONG_IDEMPOTENCY_KEEP_DAYS < 1:
    raise ImproperlyConfigured("ZHITONG_IDEMPOTENCY_KEEP_DAYS must be at least 1: partners may retry for 24 hours.")
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
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
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
        "TicketStatusEnum": "grievances.models.Status",
        "TicketTierEnum": "grievances.models.Tier",
        "TicketEventKindEnum": "grievances.models.EventKind",
    },
}
