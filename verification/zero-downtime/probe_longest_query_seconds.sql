-- The longest-running active query, in seconds (stand-in for "p95 > 2 s": PostgreSQL
-- keeps no percentiles without an extension).
SELECT coalesce(round(max(extract(epoch FROM now() - query_start))::numeric, 1), 0)
FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid();
