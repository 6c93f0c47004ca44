ALTER TABLE payments ADD CONSTRAINT payments_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
