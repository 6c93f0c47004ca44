DROP INDEX IF EXISTS invoice_lines_created_at_idx;
