ALTER TABLE users ADD COLUMN email text;
