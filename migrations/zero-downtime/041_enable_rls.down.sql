DROP POLICY IF EXISTS handover_client_isolation ON handover_packages;
DROP POLICY IF EXISTS orchestration_client_isolation ON orchestration_workflows;
ALTER TABLE handover_packages DISABLE ROW LEVEL SECURITY;
ALTER TABLE orchestration_workflows DISABLE ROW LEVEL SECURITY;
