CREATE INDEX CONCURRENTLY IF NOT EXISTS task_comments_live_idx ON task_comments (id) WHERE deleted_at IS NULL;
