-- Phase 3 · linked overrides carry the activation status that matches `enabled`.
SELECT count(*)
FROM client_app_overrides
WHERE marketplace_module_id IS NOT NULL
  AND activation_status <> CASE WHEN enabled THEN 'active' ELSE 'inactive' END;
