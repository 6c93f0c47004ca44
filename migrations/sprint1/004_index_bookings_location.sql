-- Migration 1.2c: the index from 1.2, built without blocking writes to bookings.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_bookings_location ON bookings(location_id);
