DROP TRIGGER IF EXISTS audit_events_set_updated_at ON audit_events;
