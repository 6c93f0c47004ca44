-- Check 1: database health before migration. Expected: 52.
SELECT count(*) AS active_tables
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_type = 'BASE TABLE';
