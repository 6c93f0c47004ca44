DROP INDEX IF EXISTS idx_bookings_location;
