-- Set 3, 2/3: the core tables behind /api/campaigns and /api/moves are all there.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('workspaces', 'users', 'campaigns', 'moves', 'agents',
                     'agent_recommendations', 'agent_trust_scores', 'competitors');
