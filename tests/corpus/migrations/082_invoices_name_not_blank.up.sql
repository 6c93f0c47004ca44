ALTER TABLE invoices ADD CONSTRAINT invoices_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
