DROP INDEX CONCURRENTLY IF EXISTS memberships_created_at_idx;
