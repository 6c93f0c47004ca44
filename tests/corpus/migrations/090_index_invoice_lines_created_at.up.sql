CREATE INDEX invoice_lines_created_at_idx ON invoice_lines (created_at);
