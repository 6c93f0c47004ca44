ALTER TABLE projects DROP CONSTRAINT IF EXISTS projects_name_not_blank;
