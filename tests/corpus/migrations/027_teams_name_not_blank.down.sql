ALTER TABLE teams DROP CONSTRAINT IF EXISTS teams_name_not_blank;
