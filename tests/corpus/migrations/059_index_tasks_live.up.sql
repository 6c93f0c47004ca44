CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_live_idx ON tasks (id) WHERE deleted_at IS NULL;
