DROP TRIGGER IF EXISTS accounts_set_updated_at ON accounts;
