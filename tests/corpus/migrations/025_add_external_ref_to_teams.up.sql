ALTER TABLE teams ADD COLUMN external_ref text;
