-- Phase 5 · RLS on and a policy in place, for both tables; lists the ones missing it.
SELECT c.relname
FROM pg_class c
WHERE c.oid IN ('public.orchestration_workflows'::regclass, 'public.handover_packages'::regclass)
  AND (NOT c.relrowsecurity
       OR NOT EXISTS (SELECT 1 FROM pg_policies p
                      WHERE p.schemaname = 'public' AND p.tablename = c.relname));
