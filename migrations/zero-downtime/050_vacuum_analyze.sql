-- 4.1 Cleanup, step 2: optimize the new tables. VACUUM cannot run inside a transaction
-- block, so cutover runs this step outside one (transaction: auto).
VACUUM ANALYZE orchestration_workflows;
VACUUM ANALYZE workflow_executions;
VACUUM ANALYZE handover_packages;
VACUUM ANALYZE integration_events;
