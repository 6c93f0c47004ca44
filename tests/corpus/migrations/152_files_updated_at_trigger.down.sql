DROP TRIGGER IF EXISTS files_set_updated_at ON files;
