ALTER TABLE files ADD CONSTRAINT files_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;
