CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_live_idx ON notifications (id) WHERE deleted_at IS NULL;
