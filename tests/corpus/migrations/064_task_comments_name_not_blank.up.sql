ALTER TABLE task_comments ADD CONSTRAINT task_comments_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
