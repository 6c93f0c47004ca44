CREATE INDEX tasks_created_at_idx ON tasks (created_at);
