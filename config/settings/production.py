"""Production: every secret from the environment, no defaults for them."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment for production.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment for production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The embedded defaults (SQLite, the filesystem broker) cannot lock rows or share a queue
# between machines: production names its PostgreSQL and Redis.
for _name in ("DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in the environment for production.")

# Residents' SMS from a real provider link to the public address of the site.
if ZHITONG_SMS_BACKEND in {"aliyun", "tencent"} and not os.environ.get("ZHITONG_PUBLIC_URL"):  # noqa: F405
    raise ImproperlyConfigured("ZHITONG_PUBLIC_URL must be set when residents get SMS from a provider.")

# WhiteNoise serves the collected static files from gunicorn, right after SecurityMiddleware.
MIDDLEWARE = [*MIDDLEWARE[:1], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405

# Photos: in an S3-compatible bucket when ZHITONG_S3_BUCKET is set (django-storages), else
# the folder under var/ (a volume in docker-compose). Either way they are read through the
# guarded views only: objects are private (no ACL, signed URLs never handed out).
_PHOTO_STORAGE = STORAGES["default"]  # noqa: F405
if os.environ.get("ZHITONG_S3_BUCKET"):
    _PHOTO_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["ZHITONG_S3_BUCKET"],
            "endpoint_url": os.environ.get("ZHITONG_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ZHITONG_S3_REGION") or None,
            "access_key": os.environ.get("ZHITONG_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("ZHITONG_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("ZHITONG_S3_PREFIX", "zhitong"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
STORAGES = {
    "default": _PHOTO_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# TLS is terminated by the reverse proxy in front of gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The health check is plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Partner webhooks carry residents' requests: over TLS only.
ZHITONG_WEBHOOK_HTTPS_ONLY = env_bool("ZHITONG_WEBHOOK_HTTPS_ONLY", True)
