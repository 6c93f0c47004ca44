-- Data preservation: every package from the backup is in the new table, same id and name.
SELECT count(*)
FROM backup.service_packages_20250902 b
WHERE NOT EXISTS (SELECT 1 FROM service_packages sp WHERE sp.id = b.id AND sp.name = b.title);
