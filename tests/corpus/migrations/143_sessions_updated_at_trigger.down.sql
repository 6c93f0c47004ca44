DROP TRIGGER IF EXISTS sessions_set_updated_at ON sessions;
