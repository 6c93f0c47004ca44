ALTER TABLE users ADD COLUMN archived_at timestamptz;
