CREATE INDEX CONCURRENTLY IF NOT EXISTS memberships_live_idx ON memberships (id) WHERE deleted_at IS NULL;
