-- Phase 1 · data integrity check: there are clients to migrate.
SELECT COUNT(*) FROM clients_enhanced;
