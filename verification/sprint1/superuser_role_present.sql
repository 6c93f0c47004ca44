-- Migration 1.3 seeds exactly one superuser role with full access.
SELECT count(*) FROM roles WHERE name = 'superuser' AND permissions_json = '["*"]'::jsonb;
