-- Phase 3 · handover packages generated: deployed clients without a package.
SELECT count(*)
FROM clients_enhanced c
WHERE EXISTS (SELECT 1 FROM client_deployments d WHERE d.client_id = c.id AND d.status = 'deployed')
  AND NOT EXISTS (SELECT 1 FROM handover_packages hp WHERE hp.client_id = c.id);
