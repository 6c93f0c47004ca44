ALTER TABLE expertise_events ADD COLUMN attendee_ids uuid[] NOT NULL DEFAULT '{}';

UPDATE expertise_events e
SET attendee_ids = ARRAY(
    SELECT m.user_id
    FROM unnest(e.attendee_agent_ids) WITH ORDINALITY AS a (agent_id, n)
    JOIN user_agent_mappings m ON m.agent_id = a.agent_id
    ORDER BY a.n);

ALTER TABLE expertise_events DROP COLUMN attendee_agent_ids;
