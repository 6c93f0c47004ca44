DROP INDEX CONCURRENTLY IF EXISTS invoice_lines_live_idx;
