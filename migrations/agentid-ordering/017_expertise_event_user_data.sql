-- 017_expertise_event_user_data (Event System): attendeeUserData — what each attendee
-- chose to share, keyed by agent id.
ALTER TABLE expertise_events ADD COLUMN attendee_user_data jsonb NOT NULL DEFAULT '{}';
