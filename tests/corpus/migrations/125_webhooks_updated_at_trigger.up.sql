DROP TRIGGER IF EXISTS webhooks_set_updated_at ON webhooks;
CREATE TRIGGER webhooks_set_updated_at
  BEFORE UPDATE ON webhooks
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
