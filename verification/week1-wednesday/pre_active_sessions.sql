-- Check 2: no active transactions blocking the migration. Expected: minimal.
-- (The plan's query filtered on datname = 'your_database'; current_database() is that.)
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database()
  AND state <> 'idle'
  AND pid <> pg_backend_pid();
