-- Phase 2, step 1: extend client_app_overrides. Nullable columns and constant
-- defaults: catalog-only changes, no table rewrite.
ALTER TABLE client_app_overrides
  ADD COLUMN IF NOT EXISTS marketplace_module_id UUID,
  ADD COLUMN IF NOT EXISTS installation_id UUID,
  ADD COLUMN IF NOT EXISTS activation_status VARCHAR(50) DEFAULT 'pending',
  ADD COLUMN IF NOT EXISTS activation_metadata JSONB DEFAULT '{}';
