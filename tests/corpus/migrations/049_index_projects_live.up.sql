CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_live_idx ON projects (id) WHERE deleted_at IS NULL;
