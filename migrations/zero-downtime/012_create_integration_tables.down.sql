DROP TABLE IF EXISTS integration_events CASCADE;
DROP TABLE IF EXISTS handover_packages CASCADE;
