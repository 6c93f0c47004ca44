-- Verify agent_recommendations schema. Expected: 3 (all columns present).
SELECT COUNT(*) AS column_count
FROM information_schema.columns
WHERE table_schema = 'public'
  AND table_name = 'agent_recommendations'
  AND column_name IN ('workspace_id', 'outcome_status', 'outcome_quality_score');
