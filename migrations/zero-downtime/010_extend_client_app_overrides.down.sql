ALTER TABLE client_app_overrides
  DROP COLUMN IF EXISTS marketplace_module_id CASCADE,
  DROP COLUMN IF EXISTS installation_id CASCADE,
  DROP COLUMN IF EXISTS activation_status CASCADE,
  DROP COLUMN IF EXISTS activation_metadata CASCADE;
