-- Phase 1 · validate table schemas: the columns the population queries join on.
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public'
  AND (table_name, column_name) IN (
      ('client_app_overrides', 'client_id'), ('client_app_overrides', 'app_name'),
      ('client_app_overrides', 'enabled'), ('client_app_overrides', 'updated_at'),
      ('marketplace_modules', 'name'), ('module_installations', 'module_id'),
      ('module_installations', 'tenant_id'), ('module_installations', 'installed_at'),
      ('client_deployments', 'status'), ('clients_enhanced', 'name'));
