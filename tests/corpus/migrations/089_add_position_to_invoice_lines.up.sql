ALTER TABLE invoice_lines ADD COLUMN position integer;
