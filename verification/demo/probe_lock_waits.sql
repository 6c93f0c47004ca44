-- Sessions waiting for a lock: a migration holding one too long shows up here.
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';
