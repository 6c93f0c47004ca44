-- Phase 6 · cross-system consistency: one dashboard row per client.
SELECT (SELECT count(*) FROM unified_client_dashboard) - (SELECT count(*) FROM clients_enhanced);
