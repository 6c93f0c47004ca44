-- 001_user_agent_mappings (Phase 7.3): the user ↔ agent mapping table (foundation).
CREATE TABLE user_agent_mappings (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    agent_id    text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
