ALTER TABLE audit_events DROP COLUMN IF EXISTS author_id;
