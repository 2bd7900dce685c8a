#!/usr/bin/env bash
# Serve the web app with a real Celery worker and Celery beat beside it. The worker and beat
# run as processes of their own, each kept running by scripts/supervise.sh: one that dies is
# started again (a dead beat would otherwise stop every sweep while the rest runs on).
# Ctrl-C (or TERM) stops all three. The one worker, started without -Q, consumes every queue
# (sweep, alerts, webhooks, reports and the default one: CELERY_TASK_QUEUES); production runs
# a worker per queue group (docker-compose.yml).
set -euo pipefail
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
VAR=${ZHITONG_VAR_DIR:-var}
mkdir -p "$VAR"
: > "$VAR/celery.log"
scripts/supervise.sh worker "$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 >> "$VAR/celery.log" 2>&1 &
worker=$!
scripts/supervise.sh beat "$BIN/celery" -A config beat --loglevel=INFO --schedule "$VAR/celerybeat-schedule" \
  >> "$VAR/celery.log" 2>&1 &
beat=$!
server=
trap 'kill $server "$worker" "$beat" 2>/dev/null; wait $server "$worker" "$beat" 2>/dev/null' EXIT INT TERM
echo "Celery worker and beat, each started again if it dies (supervisors: pids $worker, $beat); log in $VAR/celery.log"
echo "Zhitong: http://$HOST:$PORT/  (demo logins in README.md, password zhitong-demo)"
# In the background and waited for, so that Ctrl-C or TERM reaches the trap at once.
"$BIN/python" manage.py runserver "$HOST:$PORT" &
server=$!
wait "$server"
