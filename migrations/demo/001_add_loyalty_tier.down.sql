ALTER TABLE customers DROP COLUMN IF EXISTS loyalty_tier;
