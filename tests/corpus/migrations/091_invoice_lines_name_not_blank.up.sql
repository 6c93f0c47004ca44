ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
