-- 013_model_registry (Phase 8)
CREATE TABLE model_registry (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    task        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
