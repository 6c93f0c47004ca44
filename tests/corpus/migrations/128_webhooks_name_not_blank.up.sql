ALTER TABLE webhooks ADD CONSTRAINT webhooks_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
