ALTER TABLE audit_events DROP COLUMN IF EXISTS archived_at;
