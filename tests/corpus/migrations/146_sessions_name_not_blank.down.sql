ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_name_not_blank;
