-- Sequential scans on the recreated table since the migration: a missing index shows
-- up here first.
SELECT coalesce(seq_scan, 0) FROM pg_stat_user_tables WHERE relid = 'public.service_packages'::regclass;
