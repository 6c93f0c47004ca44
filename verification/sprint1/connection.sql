-- Database connection tested: the server answers and accepts writes.
SELECT NOT pg_is_in_recovery();
