ALTER TABLE accounts DROP COLUMN IF EXISTS description;
