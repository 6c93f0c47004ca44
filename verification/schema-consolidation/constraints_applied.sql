-- Constraints properly applied: the four from step 4 plus the re-attached foreign key.
SELECT count(*)
FROM pg_constraint
WHERE conname IN ('service_packages_business_name_key', 'service_packages_price_cents_check',
                  'service_prices_package_variant_key', 'service_prices_amount_cents_check',
                  'service_prices_package_id_fkey')
  AND convalidated;
