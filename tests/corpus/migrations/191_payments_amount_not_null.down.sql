ALTER TABLE payments DROP COLUMN IF EXISTS amount_cents;
