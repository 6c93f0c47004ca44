-- Migration 006: row-level security is on for personality_profiles, with the agent policy.
SELECT c.relrowsecurity AND EXISTS (
    SELECT 1 FROM pg_policies
    WHERE schemaname = 'public' AND tablename = 'personality_profiles'
      AND policyname = 'personality_profiles_own_agent')
FROM pg_class c
WHERE c.oid = 'public.personality_profiles'::regclass;
