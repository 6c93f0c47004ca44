-- Migration 003: every personality profile belongs to a known agent.
SELECT count(*)
FROM personality_profiles p
WHERE NOT EXISTS (SELECT 1 FROM user_agent_mappings m WHERE m.agent_id = p.agent_id);
