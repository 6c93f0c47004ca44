DROP TRIGGER IF EXISTS task_comments_set_updated_at ON task_comments;
