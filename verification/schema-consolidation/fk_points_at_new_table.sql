-- service_prices.package_id references the recreated table, not the legacy one.
SELECT confrelid::regclass::text
FROM pg_constraint
WHERE conname = 'service_prices_package_id_fkey'
  AND conrelid = 'public.service_prices'::regclass;
