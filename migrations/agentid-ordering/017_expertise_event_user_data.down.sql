ALTER TABLE expertise_events DROP COLUMN IF EXISTS attendee_user_data;
