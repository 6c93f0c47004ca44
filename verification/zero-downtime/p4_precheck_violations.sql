-- Phase 4 · rows that would violate the new foreign keys (run before adding them).
SELECT COUNT(*) FROM client_app_overrides cao
WHERE (marketplace_module_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM marketplace_modules WHERE id = cao.marketplace_module_id))
   OR (installation_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM module_installations WHERE id = cao.installation_id));
