ALTER TABLE notifications DROP COLUMN IF EXISTS position;
