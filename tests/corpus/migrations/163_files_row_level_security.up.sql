ALTER TABLE files ENABLE ROW LEVEL SECURITY;
CREATE POLICY files_by_account ON files
  USING (current_setting('app.account_id', true) IS NOT NULL);
