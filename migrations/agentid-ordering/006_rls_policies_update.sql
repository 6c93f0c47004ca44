-- 006_rls_policies_update (Phase 7.3): row-level security keyed on agentId.
ALTER TABLE personality_profiles ENABLE ROW LEVEL SECURITY;

CREATE POLICY personality_profiles_own_agent ON personality_profiles
    USING (agent_id = current_setting('app.agent_id', true))
    WITH CHECK (agent_id = current_setting('app.agent_id', true));
