-- Phase 5 · all three views created.
SELECT count(*)
FROM information_schema.views
WHERE table_schema = 'public'
  AND table_name IN ('unified_client_dashboard', 'module_integration_view', 'workflow_progress_view');
