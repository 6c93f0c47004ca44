ALTER TABLE files DROP CONSTRAINT IF EXISTS files_author_id_fkey;
