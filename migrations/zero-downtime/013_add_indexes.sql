-- Phase 2, step 4: indexes. CONCURRENTLY (zero downtime: client_app_overrides is
-- live), so cutover runs this step outside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_cao_marketplace_module
ON client_app_overrides(marketplace_module_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_cao_installation
ON client_app_overrides(installation_id);

-- Additional indexes...
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orchestration_workflows_client
ON orchestration_workflows(client_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_workflow_executions_workflow
ON workflow_executions(workflow_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_handover_packages_client
ON handover_packages(client_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_integration_events_unprocessed
ON integration_events(created_at) WHERE processed_at IS NULL;
