DROP INDEX CONCURRENTLY IF EXISTS audit_events_author_id_idx;
