DROP INDEX CONCURRENTLY IF EXISTS invoices_created_at_idx;
