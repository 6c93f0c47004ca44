-- 20250902000002 step 4 — constraint conflicts: every constraint is added only if it
-- is not there yet, so a re-run (or a database where an earlier migration already
-- added it) does not fail.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'service_packages_business_name_key'
                     AND conrelid = 'public.service_packages'::regclass) THEN
        ALTER TABLE service_packages
            ADD CONSTRAINT service_packages_business_name_key UNIQUE (business_id, name);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'service_packages_price_cents_check'
                     AND conrelid = 'public.service_packages'::regclass) THEN
        ALTER TABLE service_packages
            ADD CONSTRAINT service_packages_price_cents_check CHECK (price_cents IS NULL OR price_cents >= 0);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'service_prices_package_variant_key'
                     AND conrelid = 'public.service_prices'::regclass) THEN
        ALTER TABLE service_prices
            ADD CONSTRAINT service_prices_package_variant_key UNIQUE (package_id, variant);
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'service_prices_amount_cents_check'
                     AND conrelid = 'public.service_prices'::regclass) THEN
        ALTER TABLE service_prices
            ADD CONSTRAINT service_prices_amount_cents_check CHECK (amount_cents >= 0);
    END IF;
END $$;
