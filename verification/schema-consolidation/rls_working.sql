-- RLS policies working: the recreated service_packages has RLS on and a policy.
SELECT c.relrowsecurity
   AND EXISTS (SELECT 1 FROM pg_policies p WHERE p.schemaname = 'public' AND p.tablename = 'service_packages')
FROM pg_class c
WHERE c.oid = 'public.service_packages'::regclass;
