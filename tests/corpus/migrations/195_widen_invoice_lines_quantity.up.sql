ALTER TABLE invoice_lines ADD COLUMN quantity integer NOT NULL DEFAULT 1;
