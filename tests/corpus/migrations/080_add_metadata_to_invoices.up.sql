ALTER TABLE invoices ADD COLUMN metadata jsonb;
