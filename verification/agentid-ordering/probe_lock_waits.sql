-- Sessions waiting on a lock (the renames in 003/016/018 take ACCESS EXCLUSIVE locks).
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock';
