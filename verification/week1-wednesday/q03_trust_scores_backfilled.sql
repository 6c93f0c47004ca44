-- Set 1, 3/4: agent_trust_scores.workspace_id 100% backfilled.
SELECT count(*) - count(workspace_id) FROM agent_trust_scores;
