ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_name_not_blank;
