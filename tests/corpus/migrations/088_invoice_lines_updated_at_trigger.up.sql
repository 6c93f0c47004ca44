DROP TRIGGER IF EXISTS invoice_lines_set_updated_at ON invoice_lines;
CREATE TRIGGER invoice_lines_set_updated_at
  BEFORE UPDATE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
