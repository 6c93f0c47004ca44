DROP TRIGGER IF EXISTS teams_set_updated_at ON teams;
