ALTER TABLE labels ADD COLUMN external_ref text;
