#!/usr/bin/env bash
# Keep a command running: start it, and start it again whenever it exits, until this script
# is told to stop (TERM or HUP; INT when run in the foreground), which stops the command too.
#   scripts/supervise.sh NAME COMMAND [ARGS...]
# RESTART_DELAY (seconds, default 2) is the pause before each restart.
set -uo pipefail
name=$1
shift
child=
stop() {
  trap - TERM INT HUP
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT HUP
while true; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  child=
  echo "$(date '+%Y-%m-%d %H:%M:%S') supervise: $name exited with status $status; starting it again in ${RESTART_DELAY:-2} s" >&2
  # In the background, so that a signal is handled at once rather than after the sleep.
  sleep "${RESTART_DELAY:-2}" &
  wait $!
done
