ALTER TABLE task_comments DROP COLUMN IF EXISTS author_id;
