-- Reverts 011: back to the conflicting shapes (the backfilled values are dropped).
DROP POLICY IF EXISTS agent_trust_scores_workspace_isolation ON agent_trust_scores;
DROP POLICY IF EXISTS agent_recommendations_workspace_isolation ON agent_recommendations;
ALTER TABLE agent_trust_scores DISABLE ROW LEVEL SECURITY;
ALTER TABLE agent_recommendations DISABLE ROW LEVEL SECURITY;

ALTER TABLE competitors DROP CONSTRAINT IF EXISTS competitors_workspace_id_fkey;
ALTER TABLE agent_trust_scores DROP CONSTRAINT IF EXISTS agent_trust_scores_agent_id_fkey;
ALTER TABLE agent_trust_scores DROP CONSTRAINT IF EXISTS agent_trust_scores_workspace_id_fkey;
ALTER TABLE agent_recommendations DROP CONSTRAINT IF EXISTS agent_recommendations_agent_id_fkey;
ALTER TABLE agent_recommendations DROP CONSTRAINT IF EXISTS agent_recommendations_workspace_id_fkey;

ALTER TABLE competitors DROP COLUMN IF EXISTS workspace_id;
ALTER TABLE agent_trust_scores DROP COLUMN IF EXISTS workspace_id;
ALTER TABLE agent_recommendations
    DROP COLUMN IF EXISTS outcome_quality_score,
    DROP COLUMN IF EXISTS outcome_status,
    DROP COLUMN IF EXISTS workspace_id;
