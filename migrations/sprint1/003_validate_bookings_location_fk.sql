-- Migration 1.2b: validate the foreign key added NOT VALID in 1.2. Takes only a
-- SHARE UPDATE EXCLUSIVE lock on bookings, so reads and writes go on meanwhile.
ALTER TABLE bookings VALIDATE CONSTRAINT fk_bookings_location;
