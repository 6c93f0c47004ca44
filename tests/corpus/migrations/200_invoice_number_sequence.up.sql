CREATE SEQUENCE IF NOT EXISTS invoice_number_seq START 1000;
ALTER TABLE invoices ADD COLUMN number bigint DEFAULT nextval('invoice_number_seq');
