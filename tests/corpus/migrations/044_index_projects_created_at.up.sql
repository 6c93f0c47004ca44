CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_created_at_idx ON projects (created_at);
