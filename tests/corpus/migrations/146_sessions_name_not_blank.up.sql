ALTER TABLE sessions ADD CONSTRAINT sessions_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
