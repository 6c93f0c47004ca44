DROP INDEX CONCURRENTLY IF EXISTS task_comments_created_at_idx;
