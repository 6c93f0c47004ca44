ALTER TABLE sessions ADD COLUMN description text;
