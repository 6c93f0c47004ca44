ALTER TABLE invoice_lines DROP CONSTRAINT IF EXISTS invoice_lines_name_not_blank;
