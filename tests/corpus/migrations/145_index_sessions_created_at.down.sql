DROP INDEX CONCURRENTLY IF EXISTS sessions_created_at_idx;
