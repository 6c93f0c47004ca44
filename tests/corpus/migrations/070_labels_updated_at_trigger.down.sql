DROP TRIGGER IF EXISTS labels_set_updated_at ON labels;
