DROP TRIGGER IF EXISTS projects_set_updated_at ON projects;
