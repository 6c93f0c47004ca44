-- The six tables Sprint 1 creates all exist.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('locations', 'roles', 'admin_users', 'admin_user_roles',
                     'booking_reminders', 'deposits');
