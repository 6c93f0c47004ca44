ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_name_not_blank;
