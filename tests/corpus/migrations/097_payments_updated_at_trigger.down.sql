DROP TRIGGER IF EXISTS payments_set_updated_at ON payments;
