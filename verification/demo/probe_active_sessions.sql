-- Client sessions doing work right now (this probe's own session excluded).
SELECT count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid();
