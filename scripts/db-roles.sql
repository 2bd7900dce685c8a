-- The application's database role (README, "Database roles"): it reads and writes rows but
-- owns no table, so it cannot alter a table, disable a trigger (the event log's append-only
-- rule, the issued reports' immutability) or truncate one. Migrations run as the owner role.
--
--   psql "$OWNER_DATABASE_URL" -v ON_ERROR_STOP=1 -v owner_role=zhitong -v app_role=zhitong_app \
--        -v app_password=... -f scripts/db-roles.sql
--
-- Safe to run again: the role is created once, the grants are repeated.

SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_role', :'app_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec

SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app_role') \gexec
GRANT USAGE ON SCHEMA public TO :"app_role";

-- What exists now, and what the owner creates later (each migration's new tables).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app_role";
