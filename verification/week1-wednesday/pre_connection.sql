-- Verify database connection (production): answers, and is not a read-only standby.
SELECT NOT pg_is_in_recovery();
