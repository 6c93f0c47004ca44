DROP VIEW IF EXISTS unified_client_dashboard CASCADE;
DROP VIEW IF EXISTS module_integration_view CASCADE;
DROP VIEW IF EXISTS workflow_progress_view CASCADE;
