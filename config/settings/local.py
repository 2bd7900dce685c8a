"""`make run`: a developer's machine, embedded defaults unless the environment says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool, env_list

# Off by default, so that `make run` shows what a user sees: the product's own 404 and 500
# pages, in the reader's language (Django's debug page lists the URL patterns, in English,
# and answers a ticket outside one's units with it). A developer who wants the debug page
# and the query log sets DEBUG=true.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "local-development-only-not-secret")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

# runserver serves static files only with DEBUG on: WhiteNoise serves them here as in
# production, straight from static/ and the apps (no collectstatic), re-read on each change.
MIDDLEWARE = [*MIDDLEWARE[:1], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
