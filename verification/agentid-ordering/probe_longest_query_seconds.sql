-- The longest-running active query, in seconds.
SELECT coalesce(max(extract(epoch FROM now() - query_start)), 0)::int
FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid();
