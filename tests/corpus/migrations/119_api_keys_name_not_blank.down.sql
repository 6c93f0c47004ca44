ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_name_not_blank;
