CREATE INDEX webhooks_created_at_idx ON webhooks (created_at);
