DROP TRIGGER IF EXISTS webhooks_set_updated_at ON webhooks;
