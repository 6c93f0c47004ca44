ALTER TABLE files ADD COLUMN author_id bigint;
