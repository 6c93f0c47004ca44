ALTER TABLE projects ADD CONSTRAINT projects_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
