DROP INDEX CONCURRENTLY IF EXISTS api_keys_created_at_idx;
