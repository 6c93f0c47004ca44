DROP TABLE IF EXISTS workflow_executions CASCADE;
DROP TABLE IF EXISTS orchestration_workflows CASCADE;
