CREATE INDEX CONCURRENTLY IF NOT EXISTS task_comments_created_at_idx ON task_comments (created_at);
