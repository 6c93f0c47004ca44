-- Phase 2 · all four new tables created.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('orchestration_workflows', 'workflow_executions',
                     'handover_packages', 'integration_events');
