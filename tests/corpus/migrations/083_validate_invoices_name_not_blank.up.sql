ALTER TABLE invoices VALIDATE CONSTRAINT invoices_name_not_blank;
