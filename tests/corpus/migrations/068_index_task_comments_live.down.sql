DROP INDEX CONCURRENTLY IF EXISTS task_comments_live_idx;
