ALTER TABLE audit_events DROP COLUMN IF EXISTS deleted_at;
