ALTER TABLE users ADD COLUMN email citext;
