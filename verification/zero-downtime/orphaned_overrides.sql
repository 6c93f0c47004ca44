-- Phase 1 · identify orphaned records before migration.
SELECT COUNT(*) FROM client_app_overrides cao
WHERE NOT EXISTS (
  SELECT 1 FROM clients_enhanced WHERE id = cao.client_id
);
