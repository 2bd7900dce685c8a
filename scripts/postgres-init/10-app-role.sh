#!/bin/sh
# docker-compose: run by the postgres image on a new data directory, as the owner role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_role="$POSTGRES_USER" \
  -v app_role="${ZHITONG_APP_DB_USER:-zhitong_app}" \
  -v app_password="${ZHITONG_APP_DB_PASSWORD:?set ZHITONG_APP_DB_PASSWORD}" \
  -f /zhitong/db-roles.sql
