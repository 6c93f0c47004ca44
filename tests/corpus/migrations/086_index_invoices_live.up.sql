CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_live_idx ON invoices (id) WHERE deleted_at IS NULL;
