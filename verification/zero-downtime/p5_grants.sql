-- Phase 5 · permissions granted correctly to `authenticated`.
SELECT has_table_privilege('authenticated', 'public.orchestration_workflows', 'SELECT, INSERT, UPDATE, DELETE')
   AND has_table_privilege('authenticated', 'public.unified_client_dashboard', 'SELECT');
