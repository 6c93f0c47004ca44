-- Phase 5, step 2: row-level security — each client sees its own rows.
ALTER TABLE orchestration_workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover_packages ENABLE ROW LEVEL SECURITY;

CREATE POLICY orchestration_client_isolation ON orchestration_workflows
  USING (client_id = nullif(current_setting('app.client_id', true), '')::uuid);

CREATE POLICY handover_client_isolation ON handover_packages
  USING (client_id = nullif(current_setting('app.client_id', true), '')::uuid);
