-- Phase 3, step 1: link modules to the marketplace. Sets updated_at so the rollback
-- can find exactly the rows it touched.
WITH module_mapping AS (
  SELECT
    cao.id as override_id,
    mm.id as marketplace_module_id,
    mi.id as installation_id
  FROM client_app_overrides cao
  LEFT JOIN marketplace_modules mm ON cao.app_name = mm.name
  LEFT JOIN module_installations mi
    ON mm.id = mi.module_id AND cao.client_id = mi.tenant_id
)
UPDATE client_app_overrides cao
SET
  marketplace_module_id = mm.marketplace_module_id,
  installation_id = mm.installation_id,
  activation_status = CASE
    WHEN cao.enabled = true THEN 'active'
    ELSE 'inactive'
  END,
  updated_at = now()
FROM module_mapping mm
WHERE cao.id = mm.override_id
AND mm.marketplace_module_id IS NOT NULL;
