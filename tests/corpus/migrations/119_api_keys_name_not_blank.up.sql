ALTER TABLE api_keys ADD CONSTRAINT api_keys_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
