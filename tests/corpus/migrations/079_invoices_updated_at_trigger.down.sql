DROP TRIGGER IF EXISTS invoices_set_updated_at ON invoices;
