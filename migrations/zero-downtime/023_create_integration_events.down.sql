DELETE FROM integration_events
WHERE created_at >= (SELECT started_at FROM migration_meta.runs WHERE name = 'HT-036');
