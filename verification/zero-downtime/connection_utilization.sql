-- Connection utilization, percent of max_connections.
SELECT round(100.0 * count(*) / current_setting('max_connections')::int, 1)
FROM pg_stat_activity;
