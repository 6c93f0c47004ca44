ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_by_account ON tasks
  USING (current_setting('app.account_id', true) IS NOT NULL);
