CREATE INDEX CONCURRENTLY IF NOT EXISTS invoices_created_at_idx ON invoices (created_at);
