ALTER TABLE projects VALIDATE CONSTRAINT projects_name_not_blank;
