ALTER TABLE accounts ADD CONSTRAINT accounts_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
