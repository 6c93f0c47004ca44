ALTER TABLE task_comments ADD CONSTRAINT task_comments_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;
