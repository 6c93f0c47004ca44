-- Phase 1 · backups created and verified: each backup table has every row.
SELECT (SELECT count(*) FROM migration_backup_client_app_overrides) = (SELECT count(*) FROM client_app_overrides)
   AND (SELECT count(*) FROM migration_backup_clients_enhanced) = (SELECT count(*) FROM clients_enhanced);
