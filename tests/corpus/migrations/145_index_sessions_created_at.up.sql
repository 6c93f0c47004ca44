CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_created_at_idx ON sessions (created_at);
