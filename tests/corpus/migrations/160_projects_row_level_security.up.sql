ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_by_account ON projects
  USING (current_setting('app.account_id', true) IS NOT NULL);
