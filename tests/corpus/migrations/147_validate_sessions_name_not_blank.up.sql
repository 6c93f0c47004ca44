ALTER TABLE sessions VALIDATE CONSTRAINT sessions_name_not_blank;
