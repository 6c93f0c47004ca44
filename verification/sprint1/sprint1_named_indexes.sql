-- The twelve indexes the Sprint 1 migrations name, all present.
SELECT count(*)
FROM pg_indexes
WHERE schemaname = 'public'
  AND indexname IN ('idx_locations_active', 'idx_locations_city_state', 'idx_bookings_location',
                    'idx_admin_users_email', 'idx_admin_users_active', 'idx_roles_name',
                    'idx_reminders_booking', 'idx_reminders_status', 'idx_reminders_scheduled',
                    'idx_deposits_booking', 'idx_deposits_status', 'idx_deposits_stripe_intent');
