CREATE INDEX CONCURRENTLY IF NOT EXISTS files_author_id_idx ON files (author_id);
