DROP POLICY IF EXISTS personality_profiles_own_agent ON personality_profiles;
ALTER TABLE personality_profiles DISABLE ROW LEVEL SECURITY;
