-- Job queue backlog: jobs due but not done (the price recalculation jobs must drain).
SELECT count(*) FROM job_queue WHERE done_at IS NULL AND run_after < now() - interval '5 minutes';
