-- Phase 3, step 4: integration events for the last week's module installations.
INSERT INTO integration_events (
  event_type, event_source, event_payload, correlation_id
)
SELECT
  'module_installed',
  'modules',
  jsonb_build_object('module_id', mi.module_id, 'tenant_id', mi.tenant_id,
                     'installed_at', mi.installed_at),
  mi.id
FROM module_installations mi
WHERE mi.installed_at >= NOW() - INTERVAL '7 days'
AND NOT EXISTS (
  SELECT 1 FROM integration_events ie WHERE ie.correlation_id = mi.id
);
