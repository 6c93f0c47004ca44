-- Swap the legacy table back in. Rows added to the new table since are lost unless
-- copied first (the backup schema keeps the pre-migration rows).
DROP POLICY IF EXISTS service_packages_owner_v2 ON service_packages;
ALTER TABLE service_prices DROP CONSTRAINT IF EXISTS service_prices_package_id_fkey;
DROP TABLE service_packages;
ALTER TABLE service_packages_legacy RENAME TO service_packages;
ALTER TABLE service_prices ADD CONSTRAINT service_prices_package_id_fkey
    FOREIGN KEY (package_id) REFERENCES service_packages (id);
