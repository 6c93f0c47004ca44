ALTER TABLE accounts ADD COLUMN description text;
