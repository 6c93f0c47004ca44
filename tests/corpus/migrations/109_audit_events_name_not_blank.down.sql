ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_name_not_blank;
