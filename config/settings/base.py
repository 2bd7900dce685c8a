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
from kombu import Queue

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
    # The trigram indexes (pg_trgm) of the screens' searches: registers OpClass for index expressions.
    "django.contrib.postgres",
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
    "affairs",
    "escalation",
    "intake",
    "meetings",
    "surveys",
    "consultation",
    "reports",
    "residents",
    "api",
    "retention",
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
    # After a write, this browser reads from the primary for a few seconds (only with a replica).
    "core.replica.PinAfterWrites",
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
# A read replica (README "Operations"): when DATABASE_REPLICA_URL is set, the reads that may
# lag a second (reports and their computation, the dashboard, CSV exports, the public Open311
# reads) go to it through core.replica; everything else, every write, and every read by a
# client that wrote in the last ZHITONG_REPLICA_PIN_SECONDS stay on the primary. A replica
# that does not connect within ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS, or fails a query, is
# logged and left alone for ZHITONG_REPLICA_RETRY_SECONDS; its reads go to the primary.
ZHITONG_REPLICA_PIN_SECONDS = int(os.environ.get("ZHITONG_REPLICA_PIN_SECONDS", "10"))
ZHITONG_REPLICA_RETRY_SECONDS = float(os.environ.get("ZHITONG_REPLICA_RETRY_SECONDS", "10"))
ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS = int(os.environ.get("ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS", "2"))
if ZHITONG_REPLICA_PIN_SECONDS < 0 or ZHITONG_REPLICA_RETRY_SECONDS < 0 or ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS < 1:
    raise ImproperlyConfigured(
        "ZHITONG_REPLICA_PIN_SECONDS and ZHITONG_REPLICA_RETRY_SECONDS must be 0 or more, "
        "ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS at least 1."
    )
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the same kind of database as DATABASE_URL.")
    if "postgresql" in DATABASES["replica"]["ENGINE"]:
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = ZHITONG_REPLICA_CONNECT_TIMEOUT_SECONDS
    # Tests read the replica as the primary itself: no test database is made on it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL's JIT compiler off (ZHITONG_DATABASE_JIT=on to keep the server's setting): it
# compiles any statement its planner costs high, and the queue's search with its capped
# counts (a dozen trigram index arms) paid 80 ms of compiling for 6 ms of work; the reports'
# statistics ran no faster with it (bench/report.py on 3 million tickets: 12.1 s with, 11.3 s
# without).
ZHITONG_DATABASE_JIT = os.environ.get("ZHITONG_DATABASE_JIT", "off").strip().lower()
if ZHITONG_DATABASE_JIT not in ("on", "off"):
    raise ImproperlyConfigured("ZHITONG_DATABASE_JIT must be on or off.")
if ZHITONG_DATABASE_JIT == "off":
    for database in DATABASES.values():
        if "postgresql" in database["ENGINE"]:
            database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Prepared statements (psycopg 3, parameters bound by the server): a statement run more than
# ZHITONG_DATABASE_PREPARE_THRESHOLD times on a connection is prepared there, and PostgreSQL
# plans it once instead of on every run where a generic plan costs no more than planning anew.
# Planning was most of PostgreSQL's time on the busy pages (the ticket page's statement: 3.6 ms
# planned, 0.2 ms run; README "Operations"). `off` for a pooler that cannot keep prepared
# statements (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
ZHITONG_DATABASE_PREPARE_THRESHOLD = os.environ.get("ZHITONG_DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
if ZHITONG_DATABASE_PREPARE_THRESHOLD != "off" and not ZHITONG_DATABASE_PREPARE_THRESHOLD.isdigit():
    raise ImproperlyConfigured("ZHITONG_DATABASE_PREPARE_THRESHOLD must be a whole number of runs, or off.")
for database in DATABASES.values():
    if "postgresql" in database["ENGINE"]:
        # Django's backend, reading timestamps with psycopg's C parsing (core/postgresql/base.py).
        database["ENGINE"] = "core.postgresql"
        database.setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=(
                None if ZHITONG_DATABASE_PREPARE_THRESHOLD == "off" else int(ZHITONG_DATABASE_PREPARE_THRESHOLD)
            ),
        )
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
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

# The public street page (/public/<street code>/, reports.public): how long its figures are
# served from the cache at most (a new ticket, a status change, a verdict or an issued report
# refreshes them sooner), and the sites that may show it in a frame (origins such as
# https://www.example.gov.cn, comma-separated; empty: none, as every other page).
ZHITONG_PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("ZHITONG_PUBLIC_PAGE_CACHE_SECONDS", "300"))
ZHITONG_PUBLIC_EMBED_ORIGINS = [
    origin.strip().rstrip("/")
    for origin in os.environ.get("ZHITONG_PUBLIC_EMBED_ORIGINS", "").split(",")
    if origin.strip()
]
for _origin in ZHITONG_PUBLIC_EMBED_ORIGINS:
    if not re.match(r"^https?://[A-Za-z0-9.*-]+(:\d+)?$", _origin):
        raise ImproperlyConfigured(
            f"ZHITONG_PUBLIC_EMBED_ORIGINS: {_origin!r} is not an origin like https://www.example.gov.cn."
        )
# The dashboard's figures of the month so far (reports.views.dashboard): kept in the cache this
# many seconds at most (0: computed for every page), the page saying when they were counted; its
# queue counts are never kept.
ZHITONG_DASHBOARD_CACHE_SECONDS = int(os.environ.get("ZHITONG_DASHBOARD_CACHE_SECONDS", "60"))
if ZHITONG_DASHBOARD_CACHE_SECONDS < 0:
    raise ImproperlyConfigured("ZHITONG_DASHBOARD_CACHE_SECONDS must be 0 or more.")
# Residents rate the community (surveys): a zone or committee with fewer answers than this is
# shown with its count but not ranked.
ZHITONG_SURVEY_MIN_SAMPLE = int(os.environ.get("ZHITONG_SURVEY_MIN_SAMPLE", "20"))
if ZHITONG_PUBLIC_PAGE_CACHE_SECONDS < 1 or ZHITONG_SURVEY_MIN_SAMPLE < 1:
    raise ImproperlyConfigured("ZHITONG_PUBLIC_PAGE_CACHE_SECONDS and ZHITONG_SURVEY_MIN_SAMPLE must be at least 1.")

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
    # "localhost" names no server (the transport has none); without it kombu warns at every start.
    CELERY_BROKER_URL = "filesystem://localhost/"
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
# Queues by kind, so each grows with workers of its own (README "Operations"): the overdue
# sweep; alerts to extra channels (SMS, e-mail); partner webhooks; reports and the nightly
# jobs that count (monthly reports, recurring problems); `celery` for the rest. A worker
# started without -Q consumes every queue named here (make run's one worker does);
# docker-compose.yml runs one worker per group with -Q. A new task lands on `celery` unless
# it is routed here.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "sweep", "alerts", "webhooks", "reports")]
CELERY_TASK_ROUTES = {
    "escalation.tasks.sweep_overdue_tickets": {"queue": "sweep"},
    "alerts.tasks.*": {"queue": "alerts"},
    "residents.tasks.*": {"queue": "alerts"},  # messages to residents (SMS)
    "api.tasks.dispatch_webhooks": {"queue": "webhooks"},
    "reports.tasks.*": {"queue": "reports"},
    "meetings.tasks.find_recurring_problem_topics": {"queue": "reports"},
}
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
# Threads draining a sweep step with more than one batch due (PostgreSQL): one per core.
ZHITONG_SWEEP_THREADS = int(os.environ.get("ZHITONG_SWEEP_THREADS", "2"))
if ZHITONG_SWEEP_THREADS < 1:
    raise ImproperlyConfigured("ZHITONG_SWEEP_THREADS must be at least 1.")
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


# History that may be pruned (retention/, README "Operations"), in days; 0 keeps it for ever.
# Tickets, their events, feedback, meetings, consultation records, issued reports and the
# personal-data access log are never pruned: there is no setting for them.
def _keep_days(name: str, default: int, *, least: int = 1, why: str = "") -> int:
    days = int(os.environ.get(name, str(default)))
    if days != 0 and days < least:
        raise ImproperlyConfigured(f"{name} must be 0 (keep for ever) or at least {least}{why}.")
    return days


# Partner webhook deliveries already taken or given up (with their attempts); pending ones stay.
ZHITONG_WEBHOOK_DELIVERIES_KEEP_DAYS = _keep_days("ZHITONG_WEBHOOK_DELIVERIES_KEEP_DAYS", 30)
# Staff alerts already read; unread ones stay however old.
ZHITONG_ALERTS_KEEP_DAYS = _keep_days("ZHITONG_ALERTS_KEEP_DAYS", 180)
# Residents' SMS sent or given up (they hold phone numbers); those still to go stay. At least
# 30 days: a verdict reminder's row is what keeps it from being written twice.
ZHITONG_RESIDENT_SMS_KEEP_DAYS = _keep_days(
    "ZHITONG_RESIDENT_SMS_KEEP_DAYS", 180, least=30, why=": a reminder's row keeps it from being sent twice"
)
# Successful sign-ins (axes' access log). At least six months: network logs are kept that long
# (网络安全法 第二十一条).
ZHITONG_SIGN_IN_LOG_KEEP_DAYS = _keep_days(
    "ZHITONG_SIGN_IN_LOG_KEEP_DAYS", 365, least=180, why=": network logs are kept six months"
)
# Rows deleted per transaction, so pruning never holds many row locks for long.
ZHITONG_RETENTION_BATCH_SIZE = int(os.environ.get("ZHITONG_RETENTION_BATCH_SIZE", "5000"))
if ZHITONG_RETENTION_BATCH_SIZE < 1:
    raise ImproperlyConfigured("ZHITONG_RETENTION_BATCH_SIZE must be at least 1.")
# Residents' personal data (DESIGN.md rule 9): visit notes are blanked after this many days
# (default three years, a full round of yearly visits and more); 0 keeps them for ever.
ZHITONG_VISIT_NOTES_KEEP_DAYS = int(os.environ.get("ZHITONG_VISIT_NOTES_KEEP_DAYS", "1095"))
if ZHITONG_VISIT_NOTES_KEEP_DAYS < 0:
    raise ImproperlyConfigured("ZHITONG_VISIT_NOTES_KEEP_DAYS must be 0 (keep for ever) or more.")
# Residents in the loop (README "Residents"): SMS and the resident's page.
# The one SMS backend: console (the log), file (JSON lines, tests and demos), aliyun, tencent.
ZHITONG_SMS_BACKEND = os.environ.get("ZHITONG_SMS_BACKEND", "console").strip()
if ZHITONG_SMS_BACKEND not in {"console", "file", "aliyun", "tencent"}:
    raise ImproperlyConfigured("ZHITONG_SMS_BACKEND must be console, file, aliyun or tencent.")
ZHITONG_SMS_FILE = os.environ.get("ZHITONG_SMS_FILE", str(VAR_DIR / "sms.jsonl"))
ZHITONG_SMS_SIGN_NAME = os.environ.get("ZHITONG_SMS_SIGN_NAME", "直通")
ZHITONG_SMS_TIMEOUT_SECONDS = float(os.environ.get("ZHITONG_SMS_TIMEOUT_SECONDS", "5"))
# The provider's template code for each kind of message, e.g. "received=SMS_1,moved=SMS_2,...".
ZHITONG_SMS_TEMPLATES = dict(item.split("=", 1) for item in env_list("ZHITONG_SMS_TEMPLATES") if "=" in item)
ZHITONG_SMS_ALIYUN_ENDPOINT = os.environ.get("ZHITONG_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
ZHITONG_SMS_ALIYUN_REGION = os.environ.get("ZHITONG_SMS_ALIYUN_REGION", "cn-hangzhou")
ZHITONG_SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("ZHITONG_SMS_ALIYUN_ACCESS_KEY_ID", "")
ZHITONG_SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ZHITONG_SMS_ALIYUN_ACCESS_KEY_SECRET", "")
ZHITONG_SMS_TENCENT_ENDPOINT = os.environ.get("ZHITONG_SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/")
ZHITONG_SMS_TENCENT_REGION = os.environ.get("ZHITONG_SMS_TENCENT_REGION", "ap-guangzhou")
ZHITONG_SMS_TENCENT_SECRET_ID = os.environ.get("ZHITONG_SMS_TENCENT_SECRET_ID", "")
ZHITONG_SMS_TENCENT_SECRET_KEY = os.environ.get("ZHITONG_SMS_TENCENT_SECRET_KEY", "")
ZHITONG_SMS_TENCENT_SDK_APP_ID = os.environ.get("ZHITONG_SMS_TENCENT_SDK_APP_ID", "")
# No message to residents in these hours (Asia/Shanghai): held until they end. Empty: none.
ZHITONG_SMS_QUIET_HOURS = os.environ.get("ZHITONG_SMS_QUIET_HOURS", "21:00-08:00").strip()
if ZHITONG_SMS_QUIET_HOURS and not re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", ZHITONG_SMS_QUIET_HOURS):
    raise ImproperlyConfigured("ZHITONG_SMS_QUIET_HOURS must look like 21:00-08:00, or be empty.")
# The shared secret of the inbound SMS endpoint (replies such as TD); empty: no endpoint.
ZHITONG_SMS_INBOUND_TOKEN = os.environ.get("ZHITONG_SMS_INBOUND_TOKEN", "")
# The address residents' links start with (the SMS carries absolute links).
ZHITONG_PUBLIC_URL = (os.environ.get("ZHITONG_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
# The resident's page: a link stays valid this many days after the ticket is closed.
ZHITONG_RESIDENT_LINK_DAYS = int(os.environ.get("ZHITONG_RESIDENT_LINK_DAYS", "30"))
# The look-up form (reference + last four digits): attempts per address per window, misses
# per reference before it is locked for the window.
ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS = int(os.environ.get("ZHITONG_RESIDENT_LOOKUPS_PER_ADDRESS", "20"))
ZHITONG_RESIDENT_MISSES_PER_REFERENCE = int(os.environ.get("ZHITONG_RESIDENT_MISSES_PER_REFERENCE", "5"))
ZHITONG_RESIDENT_LOCK_MINUTES = int(os.environ.get("ZHITONG_RESIDENT_LOCK_MINUTES", "30"))
# How often beat sends residents' SMS that are due (held, retried) and writes the reminders.
ZHITONG_RESIDENT_SMS_INTERVAL_SECONDS = float(os.environ.get("ZHITONG_RESIDENT_SMS_INTERVAL_SECONDS", "60"))

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
    # Late milestones of consultation matters: alerted once each, every quarter of an hour.
    "sweep-late-consultation-milestones": {
        "task": "consultation.tasks.sweep_late_consultation_milestones",
        "schedule": 900,
        "options": {"expires": 900},
    },
    "schedule-recurring-meetings": {
        "task": "meetings.tasks.schedule_recurring_meetings",
        "schedule": crontab(minute=30, hour=1),
    },
    # Recurring problems (meetings.topics): clusters of tickets proposed to the street, nightly.
    "find-recurring-problems": {
        "task": "meetings.tasks.find_recurring_problem_topics",
        "schedule": crontab(minute=40, hour=1),
    },
    # Partner webhooks: fan new ticket events out to subscriptions, send what is due.
    "dispatch-webhooks": {
        "task": "api.tasks.dispatch_webhooks",
        "schedule": ZHITONG_WEBHOOK_INTERVAL_SECONDS,
        "options": {"expires": ZHITONG_WEBHOOK_INTERVAL_SECONDS},
    },
    # History past its keep days (idempotency records, settled webhook deliveries, read
    # alerts, residents' sent SMS, old sign-ins, expired sessions), nightly, in small batches.
    "prune-history": {
        "task": "retention.tasks.prune_history",
        "schedule": crontab(minute=10, hour=3),
    },
    # Residents' SMS held by quiet hours or a failed try; the verdict reminders.
    "send-resident-messages": {
        "task": "residents.tasks.send_due_resident_messages",
        "schedule": ZHITONG_RESIDENT_SMS_INTERVAL_SECONDS,
        "options": {"expires": ZHITONG_RESIDENT_SMS_INTERVAL_SECONDS},
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
    "DEFAULT_THROTTLE_RATES": {
        "partner": os.environ.get("ZHITONG_API_RATE", "1200/min"),
        # Open311 read without a key (the public view), per client address.
        "public": os.environ.get("ZHITONG_OPEN311_PUBLIC_RATE", "120/min"),
    },
    # The client address behind our own proxies, as the sign-in lockout reads it.
    "NUM_PROXIES": ZHITONG_TRUSTED_PROXIES,
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
        "ConsultationMatterStatusEnum": "consultation.models.MatterStatus",
        "LivelihoodProjectStatusEnum": "consultation.models.LivelihoodProject.Status",
    },
}
