ALTER TABLE tasks DROP CONSTRAINT IF EXISTS tasks_assignee_id_fkey;
