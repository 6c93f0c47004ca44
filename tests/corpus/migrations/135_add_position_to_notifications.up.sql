ALTER TABLE notifications ADD COLUMN position integer;
