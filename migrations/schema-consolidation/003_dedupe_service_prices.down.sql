-- Put the removed duplicates back from the backup.
INSERT INTO service_prices (id, package_id, variant, amount_cents, updated_at)
SELECT b.id, b.package_id, b.variant, b.amount_cents, b.updated_at
FROM backup.service_prices_20250902 b
WHERE NOT EXISTS (SELECT 1 FROM service_prices sp WHERE sp.id = b.id);
