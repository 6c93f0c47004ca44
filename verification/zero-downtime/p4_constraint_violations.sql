-- Phase 4 · check constraint violations (the plan's query, after the fact).
SELECT COUNT(*) FROM client_app_overrides cao
WHERE marketplace_module_id IS NOT NULL
AND NOT EXISTS (
  SELECT 1 FROM marketplace_modules WHERE id = cao.marketplace_module_id
);
