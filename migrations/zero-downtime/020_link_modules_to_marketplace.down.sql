-- Reset module linkages.
UPDATE client_app_overrides
SET marketplace_module_id = NULL,
    installation_id = NULL,
    activation_status = 'pending',
    activation_metadata = '{}'
WHERE updated_at >= (SELECT started_at FROM migration_meta.runs WHERE name = 'HT-036');
