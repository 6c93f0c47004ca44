-- Phase 3 · data linkage accuracy: overrides whose app is a marketplace module but
-- that did not get linked.
SELECT cao.id, cao.app_name
FROM client_app_overrides cao
JOIN marketplace_modules mm ON mm.name = cao.app_name
WHERE cao.marketplace_module_id IS DISTINCT FROM mm.id;
