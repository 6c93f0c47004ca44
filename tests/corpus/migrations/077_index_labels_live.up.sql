CREATE INDEX CONCURRENTLY IF NOT EXISTS labels_live_idx ON labels (id) WHERE deleted_at IS NULL;
