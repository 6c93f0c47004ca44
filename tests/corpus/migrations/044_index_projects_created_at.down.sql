DROP INDEX CONCURRENTLY IF EXISTS projects_created_at_idx;
