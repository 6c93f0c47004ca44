ALTER TABLE client_app_overrides
  DROP CONSTRAINT IF EXISTS fk_cao_marketplace_module,
  DROP CONSTRAINT IF EXISTS fk_cao_installation;
