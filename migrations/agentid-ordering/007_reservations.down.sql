-- The plan's rollback dropped reservations, reservation_tickets and
-- reservation_user_data together with CASCADE; here each migration drops its own table
-- and cutover runs the rollbacks in reverse order.
DROP TABLE IF EXISTS reservations;
