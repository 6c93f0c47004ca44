-- Phase 2 · all four columns added to client_app_overrides.
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'client_app_overrides'
  AND column_name IN ('marketplace_module_id', 'installation_id',
                      'activation_status', 'activation_metadata');
