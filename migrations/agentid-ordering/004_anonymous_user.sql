-- 004_anonymous_user (Phase 7.3): AnonymousUser — an agent without an account.
CREATE TABLE anonymous_users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id    text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz
);
