-- Queries running for more than a second right now. The plan used pg_stat_statements
-- (mean_time > 1000 ms); that extension may not be installed, and since PostgreSQL 13
-- the column is mean_exec_time. pg_stat_activity is always there.
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database()
  AND state = 'active'
  AND pid <> pg_backend_pid()
  AND now() - query_start > interval '1 second';
