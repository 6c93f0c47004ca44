-- 015_model_metrics (Phase 8)
CREATE TABLE model_metrics (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id     uuid NOT NULL REFERENCES model_registry (id) ON DELETE CASCADE,
    metric       text NOT NULL,
    value        double precision NOT NULL,
    measured_at  timestamptz NOT NULL DEFAULT now()
);
