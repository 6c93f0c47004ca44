ALTER TABLE labels ADD CONSTRAINT labels_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
