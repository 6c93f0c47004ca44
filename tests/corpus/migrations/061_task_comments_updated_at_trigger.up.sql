DROP TRIGGER IF EXISTS task_comments_set_updated_at ON task_comments;
CREATE TRIGGER task_comments_set_updated_at
  BEFORE UPDATE ON task_comments
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
