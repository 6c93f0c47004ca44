-- Revert agentId → userId. The plan's rollback renamed the column back, which would
-- leave agent ids in user_id; this restores the real user ids through the mapping.
ALTER TABLE personality_profiles ADD COLUMN user_id uuid;

UPDATE personality_profiles p
SET user_id = m.user_id
FROM user_agent_mappings m
WHERE m.agent_id = p.agent_id;

ALTER TABLE personality_profiles ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE personality_profiles
    ADD CONSTRAINT personality_profiles_user_id_key UNIQUE (user_id),
    ADD CONSTRAINT personality_profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

ALTER TABLE personality_profiles DROP COLUMN agent_id;
