-- 014_model_versions (Phase 8)
CREATE TABLE model_versions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    model_id     uuid NOT NULL REFERENCES model_registry (id) ON DELETE CASCADE,
    version      text NOT NULL,
    artifact_uri text NOT NULL,
    deployed_at  timestamptz,
    UNIQUE (model_id, version)
);
