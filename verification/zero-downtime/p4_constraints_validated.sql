-- Phase 4 · both foreign keys exist and are validated (referential integrity enforced).
SELECT count(*)
FROM pg_constraint
WHERE conrelid = 'public.client_app_overrides'::regclass
  AND conname IN ('fk_cao_marketplace_module', 'fk_cao_installation')
  AND contype = 'f' AND convalidated;
