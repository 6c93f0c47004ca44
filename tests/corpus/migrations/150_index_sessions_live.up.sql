CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_live_idx ON sessions (id) WHERE deleted_at IS NULL;
