ALTER TABLE tasks DROP CONSTRAINT IF EXISTS tasks_name_not_blank;
