CREATE INDEX CONCURRENTLY IF NOT EXISTS teams_live_idx ON teams (id) WHERE deleted_at IS NULL;
