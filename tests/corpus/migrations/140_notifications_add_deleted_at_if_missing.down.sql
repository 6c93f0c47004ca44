ALTER TABLE notifications DROP COLUMN IF EXISTS deleted_at;
