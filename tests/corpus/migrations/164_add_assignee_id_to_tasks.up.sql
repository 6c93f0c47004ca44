ALTER TABLE tasks ADD COLUMN assignee_id bigint;
