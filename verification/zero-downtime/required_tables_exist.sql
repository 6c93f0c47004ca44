-- Phase 1 · verify table existence: the five tables the migration builds on.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('clients_enhanced', 'marketplace_modules', 'module_installations',
                     'client_app_overrides', 'client_deployments');
