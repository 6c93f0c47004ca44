REVOKE SELECT ON unified_client_dashboard FROM authenticated;
REVOKE SELECT, INSERT, UPDATE, DELETE ON orchestration_workflows FROM authenticated;
