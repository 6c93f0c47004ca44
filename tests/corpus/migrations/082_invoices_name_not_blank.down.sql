ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_name_not_blank;
