ALTER TABLE files VALIDATE CONSTRAINT files_author_id_fkey;
