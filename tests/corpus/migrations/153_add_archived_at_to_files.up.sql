ALTER TABLE files ADD COLUMN archived_at timestamptz;
