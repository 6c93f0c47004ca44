-- Database connections: should be normal (not spiking).
SELECT COUNT(*) AS active_connections
FROM pg_stat_activity
WHERE datname = current_database();
