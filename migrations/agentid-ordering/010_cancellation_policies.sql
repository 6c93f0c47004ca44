-- 010_cancellation_policies (Phase 9)
CREATE TABLE cancellation_policies (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reservation_id     uuid REFERENCES reservations (id) ON DELETE CASCADE,
    refundable_until   interval NOT NULL DEFAULT interval '48 hours',
    refund_percent     integer NOT NULL DEFAULT 100 CHECK (refund_percent BETWEEN 0 AND 100)
);
