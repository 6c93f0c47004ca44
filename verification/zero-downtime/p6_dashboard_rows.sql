-- Phase 6 · test unified dashboard view.
SELECT * FROM unified_client_dashboard LIMIT 10;
