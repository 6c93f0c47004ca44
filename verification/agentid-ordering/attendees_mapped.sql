-- Migrations 016/018: every attendee agent id on both event tables maps to a user.
SELECT count(*)
FROM (
    SELECT unnest(attendee_agent_ids) AS agent_id FROM expertise_events
    UNION ALL
    SELECT unnest(attendee_agent_ids) FROM community_events
) AS a
WHERE NOT EXISTS (SELECT 1 FROM user_agent_mappings m WHERE m.agent_id = a.agent_id);
