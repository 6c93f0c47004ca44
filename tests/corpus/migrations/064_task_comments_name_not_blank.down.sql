ALTER TABLE task_comments DROP CONSTRAINT IF EXISTS task_comments_name_not_blank;
