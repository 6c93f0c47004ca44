DROP TRIGGER IF EXISTS tasks_set_updated_at ON tasks;
