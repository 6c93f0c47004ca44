-- Migration 1.2: Alter Bookings Table for Locations (depends on 1.1).
-- Written the way the plan's own "Risk 2" and "Risk 3" mitigations say: the column is
-- added without a default (catalog-only), the foreign key NOT VALID (no full scan under
-- the lock); 1.2b validates it and 1.2c builds the index CONCURRENTLY.
ALTER TABLE bookings ADD COLUMN location_id UUID;

ALTER TABLE bookings ADD CONSTRAINT fk_bookings_location
    FOREIGN KEY (location_id) REFERENCES locations(id) ON DELETE SET NULL NOT VALID;
