ALTER TABLE projects ADD COLUMN position integer;
