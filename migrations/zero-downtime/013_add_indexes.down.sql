DROP INDEX IF EXISTS idx_integration_events_unprocessed;
DROP INDEX IF EXISTS idx_handover_packages_client;
DROP INDEX IF EXISTS idx_workflow_executions_workflow;
DROP INDEX IF EXISTS idx_orchestration_workflows_client;
DROP INDEX IF EXISTS idx_cao_installation;
DROP INDEX IF EXISTS idx_cao_marketplace_module;
