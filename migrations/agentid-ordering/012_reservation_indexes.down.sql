DROP INDEX IF EXISTS idx_seating_charts_reservation;
DROP INDEX IF EXISTS idx_cancellation_policies_reservation;
DROP INDEX IF EXISTS idx_reservation_tickets_reservation;
DROP INDEX IF EXISTS idx_reservations_event;
DROP INDEX IF EXISTS idx_reservations_agent;
