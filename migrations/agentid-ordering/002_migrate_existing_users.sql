-- 002_migrate_existing_users (Phase 7.3): an agent id for every existing user.
-- Deterministic, so a re-run produces the same ids.
INSERT INTO user_agent_mappings (user_id, agent_id)
SELECT u.id, 'agent_' || substr(md5(u.id::text), 1, 20)
FROM users u
ON CONFLICT (user_id) DO NOTHING;
