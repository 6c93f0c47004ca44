ALTER TABLE memberships DROP COLUMN IF EXISTS deleted_at;
