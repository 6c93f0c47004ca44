CREATE INDEX CONCURRENTLY IF NOT EXISTS files_created_at_idx ON files (created_at);
