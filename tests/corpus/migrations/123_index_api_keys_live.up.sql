CREATE INDEX CONCURRENTLY IF NOT EXISTS api_keys_live_idx ON api_keys (id) WHERE deleted_at IS NULL;
