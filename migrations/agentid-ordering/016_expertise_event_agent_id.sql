-- 016_expertise_event_agent_id (Event System, BREAKING): ExpertiseEvent
-- attendeeIds → attendeeAgentIds.
ALTER TABLE expertise_events ADD COLUMN attendee_agent_ids text[] NOT NULL DEFAULT '{}';

UPDATE expertise_events e
SET attendee_agent_ids = ARRAY(
    SELECT m.agent_id
    FROM unnest(e.attendee_ids) WITH ORDINALITY AS a (user_id, n)
    JOIN user_agent_mappings m ON m.user_id = a.user_id
    ORDER BY a.n);

ALTER TABLE expertise_events DROP COLUMN attendee_ids;
