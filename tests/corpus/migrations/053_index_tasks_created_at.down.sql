DROP INDEX IF EXISTS tasks_created_at_idx;
