ALTER TABLE audit_events RENAME COLUMN name TO title;
