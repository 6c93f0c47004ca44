-- Phase 5, step 3: permissions for the application role.
GRANT SELECT, INSERT, UPDATE, DELETE ON orchestration_workflows TO authenticated;
GRANT SELECT ON unified_client_dashboard TO authenticated;
