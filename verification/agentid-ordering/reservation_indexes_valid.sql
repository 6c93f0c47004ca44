-- Migration 012: the five reservation indexes exist and are valid (a failed
-- CONCURRENTLY build leaves an invalid index).
SELECT count(*)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname IN ('idx_reservations_agent', 'idx_reservations_event',
                    'idx_reservation_tickets_reservation',
                    'idx_cancellation_policies_reservation', 'idx_seating_charts_reservation')
  AND i.indisvalid;
