-- 012_reservation_indexes (Phase 9): indexes for the reservation tables (007–011).
-- CONCURRENTLY, so cutover runs this step outside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reservations_agent ON reservations (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reservations_event ON reservations (event_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reservation_tickets_reservation ON reservation_tickets (reservation_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_cancellation_policies_reservation ON cancellation_policies (reservation_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_seating_charts_reservation ON seating_charts (reservation_id);
