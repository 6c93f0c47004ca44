DROP TRIGGER IF EXISTS api_keys_set_updated_at ON api_keys;
