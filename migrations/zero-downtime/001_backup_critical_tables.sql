-- Phase 1, step 3: backup critical tables, and record when the migration started —
-- the plan's rollbacks say '[MIGRATION_START_TIME]'; they read it from here instead.
CREATE TABLE IF NOT EXISTS migration_backup_client_app_overrides AS
SELECT * FROM client_app_overrides;

CREATE TABLE IF NOT EXISTS migration_backup_clients_enhanced AS
SELECT * FROM clients_enhanced;

CREATE SCHEMA IF NOT EXISTS migration_meta;

CREATE TABLE IF NOT EXISTS migration_meta.runs (
    name        text PRIMARY KEY,
    started_at  timestamptz NOT NULL
);

INSERT INTO migration_meta.runs (name, started_at)
VALUES ('HT-036', now())
ON CONFLICT (name) DO NOTHING;
