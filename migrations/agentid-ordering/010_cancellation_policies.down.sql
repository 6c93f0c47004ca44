DROP TABLE IF EXISTS cancellation_policies;
