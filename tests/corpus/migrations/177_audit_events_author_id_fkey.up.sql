ALTER TABLE audit_events ADD CONSTRAINT audit_events_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id);
