-- Phase 2, step 3: integration tables.
CREATE TABLE IF NOT EXISTS handover_packages (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id              uuid NOT NULL,
    workflow_id            uuid REFERENCES orchestration_workflows (id) ON DELETE SET NULL,
    package_name           text NOT NULL,
    installed_modules      jsonb NOT NULL DEFAULT '[]',
    module_configurations  jsonb NOT NULL DEFAULT '{}',
    created_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS integration_events (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_type      text NOT NULL,
    event_source    text NOT NULL,
    event_payload   jsonb NOT NULL DEFAULT '{}',
    correlation_id  uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz
);
