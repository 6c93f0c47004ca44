-- Set 1, 2/4: every recommendation belongs to its campaign's workspace.
SELECT count(*)
FROM agent_recommendations ar
LEFT JOIN campaigns c ON c.id = ar.campaign_id
WHERE ar.workspace_id IS DISTINCT FROM c.workspace_id;
