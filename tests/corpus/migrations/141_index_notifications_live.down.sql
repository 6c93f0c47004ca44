DROP INDEX CONCURRENTLY IF EXISTS notifications_live_idx;
