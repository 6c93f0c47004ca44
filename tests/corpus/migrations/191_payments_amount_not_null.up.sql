ALTER TABLE payments ADD COLUMN amount_cents bigint;
UPDATE payments SET amount_cents = 0 WHERE amount_cents IS NULL;
ALTER TABLE payments ALTER COLUMN amount_cents SET NOT NULL;
