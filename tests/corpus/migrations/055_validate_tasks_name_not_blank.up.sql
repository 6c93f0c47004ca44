ALTER TABLE tasks VALIDATE CONSTRAINT tasks_name_not_blank;
