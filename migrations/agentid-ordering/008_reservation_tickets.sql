-- 008_reservation_tickets (Phase 9)
CREATE TABLE reservation_tickets (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reservation_id  uuid NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    code            text NOT NULL UNIQUE,
    issued_at       timestamptz NOT NULL DEFAULT now()
);
