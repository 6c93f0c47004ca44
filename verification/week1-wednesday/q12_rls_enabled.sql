-- Set 5, 2/2: every table with a policy has row-level security switched on.
-- Lists the tables where it is off.
SELECT DISTINCT p.tablename
FROM pg_policies p
JOIN pg_class c ON c.relname = p.tablename
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = p.schemaname
WHERE p.schemaname = 'public' AND NOT c.relrowsecurity;
