#!/usr/bin/env bash
# Serve the web app with a real Celery worker (and embedded beat) beside it; Ctrl-C stops both.
set -euo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var
"$BIN/celery" -A config worker -B --loglevel=INFO --concurrency=2 \
  --schedule var/celerybeat-schedule > var/celery.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
echo "Celery worker and beat: pid $worker, log in var/celery.log"
echo "Zhitong: http://$HOST:$PORT/  (demo logins in README.md, password zhitong-demo)"
"$BIN/python" manage.py runserver "$HOST:$PORT"
