ALTER TABLE task_comments DROP CONSTRAINT IF EXISTS task_comments_author_id_fkey;
