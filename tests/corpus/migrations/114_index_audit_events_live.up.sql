CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_events_live_idx ON audit_events (id) WHERE deleted_at IS NULL;
