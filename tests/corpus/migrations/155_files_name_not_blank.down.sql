ALTER TABLE files DROP CONSTRAINT IF EXISTS files_name_not_blank;
