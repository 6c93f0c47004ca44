-- Rule 1 (agentId foundation first): every user has an agent id.
SELECT count(*)
FROM users u
WHERE NOT EXISTS (SELECT 1 FROM user_agent_mappings m WHERE m.user_id = u.id);
