ALTER TABLE audit_events ADD CONSTRAINT audit_events_name_not_blank CHECK (btrim(name) <> '') NOT VALID;
