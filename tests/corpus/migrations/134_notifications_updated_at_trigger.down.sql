DROP TRIGGER IF EXISTS notifications_set_updated_at ON notifications;
