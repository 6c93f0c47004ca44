ALTER TABLE task_comments ADD COLUMN author_id bigint;
