CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_live_idx ON accounts (id) WHERE deleted_at IS NULL;
