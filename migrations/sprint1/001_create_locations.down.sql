DROP INDEX IF EXISTS idx_locations_city_state;
DROP INDEX IF EXISTS idx_locations_active;
DROP TABLE locations;
