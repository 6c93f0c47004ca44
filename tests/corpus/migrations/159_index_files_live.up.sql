CREATE INDEX CONCURRENTLY IF NOT EXISTS files_live_idx ON files (id) WHERE deleted_at IS NULL;
