ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_author_id_fkey;
