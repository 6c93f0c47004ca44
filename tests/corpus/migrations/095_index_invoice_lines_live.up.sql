CREATE INDEX CONCURRENTLY IF NOT EXISTS invoice_lines_live_idx ON invoice_lines (id) WHERE deleted_at IS NULL;
