-- The plan's down migration was `DROP TABLE IF EXISTS deposits` — which would also drop
-- a deposits table that existed before Sprint 1 (the ALTER branch). This one undoes only
-- what 1.5 did, using the comments 1.5 left.
DO $$
BEGIN
    IF obj_description('public.deposits'::regclass, 'pg_class') = 'created by sprint1 migration 1.5' THEN
        DROP INDEX IF EXISTS idx_deposits_stripe_intent;
        DROP INDEX IF EXISTS idx_deposits_status;
        DROP INDEX IF EXISTS idx_deposits_booking;
        DROP TABLE deposits;
    ELSE
        IF col_description('public.deposits'::regclass,
                           (SELECT attnum FROM pg_attribute WHERE attrelid = 'public.deposits'::regclass AND attname = 'metadata_json'))
           = 'added by sprint1 migration 1.5' THEN
            ALTER TABLE deposits DROP COLUMN metadata_json;
        END IF;
        IF col_description('public.deposits'::regclass,
                           (SELECT attnum FROM pg_attribute WHERE attrelid = 'public.deposits'::regclass AND attname = 'stripe_payment_method_id'))
           = 'added by sprint1 migration 1.5' THEN
            ALTER TABLE deposits DROP COLUMN stripe_payment_method_id;
        END IF;
    END IF;
END $$;
