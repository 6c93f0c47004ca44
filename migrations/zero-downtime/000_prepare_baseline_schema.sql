-- Preparation: the agency-toolkit and HT-035 tables as they stand before HT-036, so
-- the runbook runs end to end on an empty scratch database. Idempotent: a no-op where
-- the tables exist. Also makes sure the `authenticated` role exists (Supabase has it).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS clients_enhanced (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    tier        text NOT NULL DEFAULT 'standard',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS marketplace_modules (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    version     text NOT NULL DEFAULT '1.0.0',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS module_installations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    module_id     uuid NOT NULL REFERENCES marketplace_modules (id),
    tenant_id     uuid NOT NULL REFERENCES clients_enhanced (id),
    config        jsonb NOT NULL DEFAULT '{}',
    installed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS client_app_overrides (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id   uuid NOT NULL REFERENCES clients_enhanced (id),
    app_name    text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    settings    jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS client_deployments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id    uuid NOT NULL REFERENCES clients_enhanced (id),
    status       text NOT NULL,
    deployed_at  timestamptz
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM clients_enhanced) THEN
        RETURN;
    END IF;
    INSERT INTO clients_enhanced (name, tier, created_at)
    VALUES ('Northwind Dental', 'premium', now() - interval '90 days'),
           ('Bluebird Bakery', 'standard', now() - interval '30 days'),
           ('Summit Legal', 'standard', now() - interval '5 days');
    INSERT INTO marketplace_modules (name, version)
    VALUES ('booking', '2.1.0'), ('crm', '1.4.2'), ('invoicing', '1.0.3'), ('chat', '0.9.0');
    INSERT INTO module_installations (module_id, tenant_id, installed_at)
    SELECT m.id, c.id, i.at
    FROM (VALUES ('Northwind Dental', 'booking', now() - interval '80 days'),
                 ('Northwind Dental', 'crm', now() - interval '3 days'),
                 ('Bluebird Bakery', 'invoicing', now() - interval '20 days'),
                 ('Summit Legal', 'crm', now() - interval '2 days')) AS i (client, module, at)
    JOIN clients_enhanced c ON c.name = i.client
    JOIN marketplace_modules m ON m.name = i.module;
    -- Overrides: one app without a marketplace module ('legacy-portal'), one installed
    -- module switched off.
    INSERT INTO client_app_overrides (client_id, app_name, enabled, updated_at)
    SELECT c.id, o.app, o.enabled, now() - interval '10 days'
    FROM (VALUES ('Northwind Dental', 'booking', true),
                 ('Northwind Dental', 'crm', false),
                 ('Bluebird Bakery', 'invoicing', true),
                 ('Bluebird Bakery', 'legacy-portal', true),
                 ('Summit Legal', 'crm', true)) AS o (client, app, enabled)
    JOIN clients_enhanced c ON c.name = o.client;
    INSERT INTO client_deployments (client_id, status, deployed_at)
    SELECT id, CASE WHEN name = 'Summit Legal' THEN 'building' ELSE 'deployed' END, now() - interval '1 day'
    FROM clients_enhanced;
END $$;
