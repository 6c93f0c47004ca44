-- Phase 2, step 2: orchestration tables.
CREATE TABLE IF NOT EXISTS orchestration_workflows (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_name        text NOT NULL,
    workflow_type        text NOT NULL,
    client_id            uuid NOT NULL,
    workflow_definition  jsonb NOT NULL DEFAULT '{}',
    status               text NOT NULL DEFAULT 'pending',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workflow_executions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    workflow_id  uuid NOT NULL REFERENCES orchestration_workflows (id) ON DELETE CASCADE,
    step_name    text NOT NULL,
    status       text NOT NULL DEFAULT 'queued',
    started_at   timestamptz,
    finished_at  timestamptz
);
