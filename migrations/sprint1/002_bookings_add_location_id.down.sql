ALTER TABLE bookings DROP CONSTRAINT IF EXISTS fk_bookings_location;
ALTER TABLE bookings DROP COLUMN location_id;
