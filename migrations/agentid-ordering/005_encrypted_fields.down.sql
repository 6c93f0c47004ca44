ALTER TABLE users DROP COLUMN IF EXISTS email_encrypted;
ALTER TABLE personality_profiles DROP COLUMN IF EXISTS traits_encrypted;
