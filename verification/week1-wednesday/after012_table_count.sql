-- Verify table count. Expected: 43.
SELECT COUNT(*) AS remaining_tables
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_type = 'BASE TABLE';
