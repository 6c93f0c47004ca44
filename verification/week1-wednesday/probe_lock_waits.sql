-- Sessions waiting on a lock: a sign that something (or someone) holds one too long.
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';
