DROP INDEX CONCURRENTLY IF EXISTS task_comments_author_id_idx;
