ALTER TABLE tasks ADD CONSTRAINT tasks_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
