DROP POLICY IF EXISTS task_comments_by_account ON task_comments;
ALTER TABLE task_comments DISABLE ROW LEVEL SECURITY;
