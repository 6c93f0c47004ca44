-- 20250902000002 step 1 — data preservation: back up the tables about to change,
-- outside the public schema.
CREATE SCHEMA IF NOT EXISTS backup;

CREATE TABLE IF NOT EXISTS backup.service_packages_20250902 AS
SELECT * FROM public.service_packages;

CREATE TABLE IF NOT EXISTS backup.service_prices_20250902 AS
SELECT * FROM public.service_prices;
