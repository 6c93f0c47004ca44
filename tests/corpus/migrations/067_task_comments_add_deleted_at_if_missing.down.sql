ALTER TABLE task_comments DROP COLUMN IF EXISTS deleted_at;
