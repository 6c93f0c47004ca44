CREATE INDEX CONCURRENTLY IF NOT EXISTS memberships_created_at_idx ON memberships (created_at);
