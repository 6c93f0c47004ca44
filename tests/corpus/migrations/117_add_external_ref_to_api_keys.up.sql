ALTER TABLE api_keys ADD COLUMN external_ref text;
