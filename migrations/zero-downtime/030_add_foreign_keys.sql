-- Phase 4, step 1: foreign keys on client_app_overrides.
ALTER TABLE client_app_overrides
  ADD CONSTRAINT fk_cao_marketplace_module
  FOREIGN KEY (marketplace_module_id)
  REFERENCES marketplace_modules(id) ON DELETE SET NULL;

ALTER TABLE client_app_overrides
  ADD CONSTRAINT fk_cao_installation
  FOREIGN KEY (installation_id)
  REFERENCES module_installations(id) ON DELETE CASCADE;
