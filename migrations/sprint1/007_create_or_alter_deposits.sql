-- Migration 1.5: Create/Alter Deposits Table (Deposit CRUD API, P0).
-- Creates deposits if it does not exist, otherwise adds the missing columns.
-- Whatever this migration creates is marked with a comment so that the rollback
-- removes exactly that and never a deposits table (or column) that was there before.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_tables WHERE schemaname = 'public' AND tablename = 'deposits') THEN
        -- Create new table
        CREATE TABLE deposits (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            booking_id UUID NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
            amount DECIMAL(10,2) NOT NULL,
            currency VARCHAR(3) DEFAULT 'USD',
            status VARCHAR(50) NOT NULL DEFAULT 'pending', -- 'pending', 'confirmed', 'failed', 'refunded', 'cancelled'
            stripe_payment_intent_id VARCHAR(255),
            stripe_payment_method_id VARCHAR(255),
            paid_at TIMESTAMP WITH TIME ZONE,
            refunded_at TIMESTAMP WITH TIME ZONE,
            cancelled_at TIMESTAMP WITH TIME ZONE,
            failure_reason TEXT,
            metadata_json JSONB DEFAULT '{}',
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
            updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        COMMENT ON TABLE deposits IS 'created by sprint1 migration 1.5';

        CREATE INDEX idx_deposits_booking ON deposits(booking_id);
        CREATE INDEX idx_deposits_status ON deposits(status);
        CREATE INDEX idx_deposits_stripe_intent ON deposits(stripe_payment_intent_id);
    ELSE
        -- Table exists, add missing columns if needed
        IF NOT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'deposits' AND column_name = 'metadata_json') THEN
            ALTER TABLE deposits ADD COLUMN metadata_json JSONB DEFAULT '{}';
            COMMENT ON COLUMN deposits.metadata_json IS 'added by sprint1 migration 1.5';
        END IF;

        IF NOT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'deposits' AND column_name = 'stripe_payment_method_id') THEN
            ALTER TABLE deposits ADD COLUMN stripe_payment_method_id VARCHAR(255);
            COMMENT ON COLUMN deposits.stripe_payment_method_id IS 'added by sprint1 migration 1.5';
        END IF;
    END IF;
END $$;
