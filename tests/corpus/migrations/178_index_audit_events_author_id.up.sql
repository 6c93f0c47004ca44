CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_events_author_id_idx ON audit_events (author_id);
