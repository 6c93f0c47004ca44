DELETE FROM workflow_executions
WHERE workflow_id IN (
  SELECT id FROM orchestration_workflows
  WHERE created_at >= (SELECT started_at FROM migration_meta.runs WHERE name = 'HT-036')
);

DELETE FROM orchestration_workflows
WHERE created_at >= (SELECT started_at FROM migration_meta.runs WHERE name = 'HT-036');
