-- Phase 2 · all indexes created and active (valid and ready: a failed CONCURRENTLY
-- build leaves an invalid index).
SELECT count(*)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname IN ('idx_cao_marketplace_module', 'idx_cao_installation',
                    'idx_orchestration_workflows_client', 'idx_workflow_executions_workflow',
                    'idx_handover_packages_client', 'idx_integration_events_unprocessed')
  AND i.indisvalid AND i.indisready;
