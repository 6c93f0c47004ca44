CREATE INDEX CONCURRENTLY IF NOT EXISTS webhooks_created_at_idx ON webhooks (created_at);
