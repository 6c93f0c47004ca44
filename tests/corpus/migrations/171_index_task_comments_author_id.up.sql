CREATE INDEX CONCURRENTLY IF NOT EXISTS task_comments_author_id_idx ON task_comments (author_id);
