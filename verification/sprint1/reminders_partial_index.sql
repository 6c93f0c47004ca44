-- idx_reminders_scheduled only covers pending reminders.
SELECT indexdef LIKE '%WHERE%pending%'
FROM pg_indexes
WHERE schemaname = 'public' AND indexname = 'idx_reminders_scheduled';
