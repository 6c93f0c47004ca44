DROP INDEX CONCURRENTLY IF EXISTS audit_events_created_at_idx;
