ALTER TABLE tasks ADD COLUMN description text;
