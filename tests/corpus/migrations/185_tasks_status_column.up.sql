ALTER TABLE tasks ADD COLUMN status task_status NOT NULL DEFAULT 'open';
