ALTER TABLE task_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_comments_by_account ON task_comments
  USING (current_setting('app.account_id', true) IS NOT NULL);
