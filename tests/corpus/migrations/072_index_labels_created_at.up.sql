CREATE INDEX CONCURRENTLY IF NOT EXISTS labels_created_at_idx ON labels (created_at);
