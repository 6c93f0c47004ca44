-- Pre-migration: "don't assume table structure — always verify". service_packages
-- still has the legacy columns this migration converts (title, price as text).
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'service_packages'
  AND ((column_name = 'title' AND data_type = 'text')
    OR (column_name = 'price' AND data_type = 'text')
    OR (column_name = 'business_id' AND data_type = 'text'));
