ALTER TABLE audit_events ADD COLUMN author_id bigint;
