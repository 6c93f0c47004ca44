ALTER TABLE audit_events ADD COLUMN archived_at timestamptz;
