-- Phase 5, step 1: unified dashboard views.
CREATE OR REPLACE VIEW unified_client_dashboard AS
SELECT
  c.id AS client_id,
  c.name AS client_name,
  c.tier,
  (SELECT count(*) FROM module_installations mi WHERE mi.tenant_id = c.id) AS installed_modules,
  (SELECT count(*) FROM client_app_overrides cao
    WHERE cao.client_id = c.id AND cao.activation_status = 'active') AS active_apps,
  (SELECT ow.status FROM orchestration_workflows ow
    WHERE ow.client_id = c.id ORDER BY ow.created_at DESC LIMIT 1) AS workflow_status,
  (SELECT max(hp.created_at) FROM handover_packages hp WHERE hp.client_id = c.id) AS last_handover_at
FROM clients_enhanced c;

CREATE OR REPLACE VIEW module_integration_view AS
SELECT
  cao.id AS override_id,
  cao.client_id,
  cao.app_name,
  cao.activation_status,
  mm.id AS marketplace_module_id,
  mm.version AS module_version,
  mi.id AS installation_id,
  mi.installed_at
FROM client_app_overrides cao
LEFT JOIN marketplace_modules mm ON mm.id = cao.marketplace_module_id
LEFT JOIN module_installations mi ON mi.id = cao.installation_id;

CREATE OR REPLACE VIEW workflow_progress_view AS
SELECT
  ow.id AS workflow_id,
  ow.client_id,
  ow.workflow_name,
  ow.status AS workflow_status,
  count(we.id) AS executions,
  count(we.id) FILTER (WHERE we.status = 'completed') AS completed_executions
FROM orchestration_workflows ow
LEFT JOIN workflow_executions we ON we.workflow_id = ow.id
GROUP BY ow.id, ow.client_id, ow.workflow_name, ow.status;
