CREATE OR REPLACE VIEW open_tasks AS
  SELECT id, project_id, name, created_at FROM tasks WHERE status <> 'done';
