ALTER TABLE invoice_lines DROP COLUMN IF EXISTS amount_cents;
