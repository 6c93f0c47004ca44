ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_name_not_blank;
