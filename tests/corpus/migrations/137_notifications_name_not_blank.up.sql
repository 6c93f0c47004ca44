ALTER TABLE notifications ADD CONSTRAINT notifications_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
