ALTER TABLE teams VALIDATE CONSTRAINT teams_name_not_blank;
