-- 005_encrypted_fields (Phase 7.3): encrypted copies of the sensitive fields,
-- filled by the application (client-side encryption), so nullable.
ALTER TABLE personality_profiles ADD COLUMN traits_encrypted bytea;
ALTER TABLE users ADD COLUMN email_encrypted bytea;
