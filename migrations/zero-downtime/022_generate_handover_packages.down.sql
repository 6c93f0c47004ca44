DELETE FROM handover_packages
WHERE created_at >= (SELECT started_at FROM migration_meta.runs WHERE name = 'HT-036');
