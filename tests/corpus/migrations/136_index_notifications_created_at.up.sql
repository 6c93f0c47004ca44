CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_created_at_idx ON notifications (created_at);
