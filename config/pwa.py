"""The field app's service worker, served at /sw.js so that its scope is the whole site (a
file under /static/ could only control /static/). The file is static/sw.js; this view puts
in front of it the static files to keep and a version tied to their contents, so a new
build replaces the phone's cache and nothing is downloaded from elsewhere."""

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static

# The static files every field page needs, kept on the phone when the worker installs.
PRECACHE = (
    "zhitong.css",
    "zhitong.js",
    "outbox.js",
    "vendor/htmx-2.0.11.min.js",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


def _read(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        return b""
    with open(path, "rb") as file:
        return file.read()


@functools.cache
def _worker_cached() -> str:
    return _worker()


def _worker() -> str:
    source = _read("sw.js").decode()
    urls = [static(name) for name in PRECACHE]
    digest = hashlib.sha256(source.encode())
    for name, url in zip(PRECACHE, urls, strict=True):
        digest.update(url.encode())
        digest.update(_read(name))
    config = {"version": digest.hexdigest()[:16], "precache": urls}
    return f"var ZHITONG = {json.dumps(config)};\n{source}"


def service_worker(request):
    body = _worker() if settings.DEBUG else _worker_cached()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # The browser checks for a new worker on every visit; never an old one from a cache.
    response["Cache-Control"] = "no-cache"
    return response
