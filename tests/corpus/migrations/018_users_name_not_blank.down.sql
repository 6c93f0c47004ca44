ALTER TABLE users DROP CONSTRAINT IF EXISTS users_name_not_blank;
