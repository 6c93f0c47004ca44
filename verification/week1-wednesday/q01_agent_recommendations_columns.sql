-- Set 1 (schema conflicts fixed), 1/4: agent_recommendations has its three columns.
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public'
  AND table_name = 'agent_recommendations'
  AND column_name IN ('workspace_id', 'outcome_status', 'outcome_quality_score');
