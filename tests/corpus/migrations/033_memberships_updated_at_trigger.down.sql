DROP TRIGGER IF EXISTS memberships_set_updated_at ON memberships;
