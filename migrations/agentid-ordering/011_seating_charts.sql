-- 011_seating_charts (Phase 9)
CREATE TABLE seating_charts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reservation_id  uuid REFERENCES reservations (id) ON DELETE CASCADE,
    layout          jsonb NOT NULL DEFAULT '{}'
);
