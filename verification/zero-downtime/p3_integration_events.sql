-- Phase 3 · integration events: one per module installation of the last 7 days.
SELECT (SELECT count(*) FROM integration_events WHERE event_type = 'module_installed')
     - (SELECT count(*) FROM module_installations WHERE installed_at >= now() - interval '7 days');
