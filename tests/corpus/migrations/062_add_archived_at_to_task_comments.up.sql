ALTER TABLE task_comments ADD COLUMN archived_at timestamptz;
