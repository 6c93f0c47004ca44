ALTER TABLE files ADD CONSTRAINT files_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
