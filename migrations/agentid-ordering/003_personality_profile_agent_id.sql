-- 003_personality_profile_agent_id (Phase 7.3, BREAKING): PersonalityProfile
-- userId → agentId. Clients still reading personality_profiles.user_id break.
ALTER TABLE personality_profiles ADD COLUMN agent_id text;

UPDATE personality_profiles p
SET agent_id = m.agent_id
FROM user_agent_mappings m
WHERE m.user_id = p.user_id;

ALTER TABLE personality_profiles ALTER COLUMN agent_id SET NOT NULL;
ALTER TABLE personality_profiles
    ADD CONSTRAINT personality_profiles_agent_id_key UNIQUE (agent_id);

ALTER TABLE personality_profiles DROP COLUMN user_id;
