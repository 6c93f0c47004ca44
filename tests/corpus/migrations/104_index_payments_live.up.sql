CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_live_idx ON payments (id) WHERE deleted_at IS NULL;
