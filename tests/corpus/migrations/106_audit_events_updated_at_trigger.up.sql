DROP TRIGGER IF EXISTS audit_events_set_updated_at ON audit_events;
CREATE TRIGGER audit_events_set_updated_at
  BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
