-- Phase 3 · data integrity maintained: no override or client disappeared (compared
-- with the phase-1 backup tables).
SELECT (SELECT count(*) FROM migration_backup_client_app_overrides b
         WHERE NOT EXISTS (SELECT 1 FROM client_app_overrides c WHERE c.id = b.id))
     + (SELECT count(*) FROM migration_backup_clients_enhanced b
         WHERE NOT EXISTS (SELECT 1 FROM clients_enhanced c WHERE c.id = b.id));
