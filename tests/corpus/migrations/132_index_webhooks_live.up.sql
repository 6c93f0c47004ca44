CREATE INDEX CONCURRENTLY IF NOT EXISTS webhooks_live_idx ON webhooks (id) WHERE deleted_at IS NULL;
