ALTER TABLE teams ADD CONSTRAINT teams_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
