-- Event processing lag: age in minutes of the oldest unprocessed integration event.
SELECT coalesce(round((extract(epoch FROM now() - min(created_at)) / 60)::numeric, 1), 0)
FROM integration_events
WHERE processed_at IS NULL;
