-- 009_reservation_user_data (Phase 9): optional user data an attendee shares with the
-- host, kept apart from the reservation itself.
CREATE TABLE reservation_user_data (
    reservation_id  uuid PRIMARY KEY REFERENCES reservations (id) ON DELETE CASCADE,
    shared_fields   jsonb NOT NULL DEFAULT '{}',
    consented_at    timestamptz NOT NULL DEFAULT now()
);
