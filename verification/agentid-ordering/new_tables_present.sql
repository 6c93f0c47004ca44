-- All 11 tables created by the sequence exist.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('user_agent_mappings', 'anonymous_users',
                     'reservations', 'reservation_tickets', 'reservation_user_data',
                     'cancellation_policies', 'seating_charts',
                     'model_registry', 'model_versions', 'model_metrics',
                     'personality_profiles');
