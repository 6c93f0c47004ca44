-- Migrations 003/016/018 and rule 4: no userId-style column left on the migrated or
-- new tables (the mapping table itself is the only place user ids and agent ids meet).
SELECT table_name, column_name
FROM information_schema.columns
WHERE table_schema = 'public'
  AND column_name IN ('user_id', 'attendee_ids')
  AND table_name IN ('personality_profiles', 'expertise_events', 'community_events',
                     'reservations', 'reservation_tickets', 'reservation_user_data',
                     'cancellation_policies', 'seating_charts', 'anonymous_users');
