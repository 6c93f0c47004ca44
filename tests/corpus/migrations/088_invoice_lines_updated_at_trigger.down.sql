DROP TRIGGER IF EXISTS invoice_lines_set_updated_at ON invoice_lines;
