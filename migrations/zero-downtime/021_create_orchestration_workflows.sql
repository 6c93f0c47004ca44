-- Phase 3, step 2: one onboarding workflow per client. created_at is the time of the
-- migration (the plan copied the client's created_at, which would hide these rows from
-- its own "created_at >= MIGRATION_START_TIME" rollback); the client's date goes into
-- the definition instead.
INSERT INTO orchestration_workflows (
  workflow_name, workflow_type, client_id,
  workflow_definition, status
)
SELECT
  'Client Setup - ' || c.name,
  'client_onboarding',
  c.id,
  jsonb_build_object(
    'client_since', c.created_at,
    'steps', jsonb_build_array('provision', 'install_modules', 'configure', 'handover')),
  'in_progress'
FROM clients_enhanced c
WHERE NOT EXISTS (
  SELECT 1 FROM orchestration_workflows WHERE client_id = c.id
);
