-- Phase 3, step 3: a handover package for every client with a completed deployment.
INSERT INTO handover_packages (
  client_id, workflow_id, package_name,
  installed_modules, module_configurations
)
SELECT
  c.id,
  ow.id,
  'Handover Package - ' || c.name,
  -- Aggregate installed modules
  coalesce((SELECT jsonb_agg(mm.name ORDER BY mm.name)
            FROM module_installations mi
            JOIN marketplace_modules mm ON mm.id = mi.module_id
            WHERE mi.tenant_id = c.id), '[]'::jsonb),
  -- Aggregate configurations
  coalesce((SELECT jsonb_object_agg(mm.name, mi.config)
            FROM module_installations mi
            JOIN marketplace_modules mm ON mm.id = mi.module_id
            WHERE mi.tenant_id = c.id), '{}'::jsonb)
FROM clients_enhanced c
JOIN orchestration_workflows ow ON c.id = ow.client_id
WHERE EXISTS (
  SELECT 1 FROM client_deployments
  WHERE client_id = c.id AND status = 'deployed'
)
AND NOT EXISTS (
  SELECT 1 FROM handover_packages hp WHERE hp.client_id = c.id
);
