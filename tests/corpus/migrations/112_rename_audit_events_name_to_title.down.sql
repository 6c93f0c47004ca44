ALTER TABLE audit_events RENAME COLUMN title TO name;
