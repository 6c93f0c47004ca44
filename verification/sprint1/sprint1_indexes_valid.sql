-- Every index on the Sprint 1 tables is valid (a failed CONCURRENTLY build leaves an
-- invalid one behind); lists any that is not.
SELECT c.relname AS index_name
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname IN ('locations', 'bookings', 'roles', 'admin_users', 'admin_user_roles',
                    'booking_reminders', 'deposits')
  AND NOT i.indisvalid;
