-- 12:00 full health check: tables, foreign keys and policies at their target counts.
SELECT (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE') = 43
   AND (SELECT count(*) FROM information_schema.table_constraints
         WHERE table_schema = 'public' AND constraint_type = 'FOREIGN KEY') = 42
   AND (SELECT count(*) FROM pg_policies WHERE schemaname = 'public') = 18;
