-- Phase 3 · workflow creation logic: clients without exactly one onboarding workflow.
SELECT c.id, count(ow.id) AS workflows
FROM clients_enhanced c
LEFT JOIN orchestration_workflows ow
  ON ow.client_id = c.id AND ow.workflow_type = 'client_onboarding'
GROUP BY c.id
HAVING count(ow.id) <> 1;
