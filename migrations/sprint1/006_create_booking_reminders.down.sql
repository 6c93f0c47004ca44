DROP INDEX IF EXISTS idx_reminders_scheduled;
DROP INDEX IF EXISTS idx_reminders_status;
DROP INDEX IF EXISTS idx_reminders_booking;
DROP TABLE booking_reminders;
