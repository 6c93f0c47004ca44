-- Verify agent_trust_scores workspace_id. Expected: filled count = total row count
-- (100% backfilled), written here as "rows still missing it = 0".
SELECT COUNT(*) - COUNT(workspace_id) AS missing
FROM agent_trust_scores;
