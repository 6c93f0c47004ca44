ALTER TABLE memberships DROP CONSTRAINT IF EXISTS memberships_name_not_blank;
