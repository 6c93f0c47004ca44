ALTER TABLE memberships ADD CONSTRAINT memberships_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
