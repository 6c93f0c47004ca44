-- Set 5 (RLS policies active), 1/2: 18 policies.
SELECT count(*) FROM pg_policies WHERE schemaname = 'public';
