-- Preparation: the schema before the agentId migrations — users, personality
-- profiles and events keyed by userId — so the runbook runs end to end on an empty
-- scratch database. Idempotent; a no-op where the tables exist.
CREATE TABLE IF NOT EXISTS users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS personality_profiles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL UNIQUE REFERENCES users (id),
    traits      jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS expertise_events (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title         text NOT NULL,
    host_user_id  uuid REFERENCES users (id),
    starts_at     timestamptz NOT NULL,
    attendee_ids  uuid[] NOT NULL DEFAULT '{}'
);

-- CommunityEvent inherits from ExpertiseEvent in the app's model; in the database it
-- is its own table with the same attendee list.
CREATE TABLE IF NOT EXISTS community_events (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title         text NOT NULL,
    community     text NOT NULL,
    starts_at     timestamptz NOT NULL,
    attendee_ids  uuid[] NOT NULL DEFAULT '{}'
);

INSERT INTO users (email)
VALUES ('ana@example.com'), ('bo@example.com'), ('chen@example.com'), ('dara@example.com')
ON CONFLICT (email) DO NOTHING;

INSERT INTO personality_profiles (user_id, traits)
SELECT id, jsonb_build_object('openness', 0.5 + length(email) / 100.0)
FROM users
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO expertise_events (title, host_user_id, starts_at, attendee_ids)
SELECT 'Sourdough masterclass', (SELECT id FROM users WHERE email = 'ana@example.com'),
       '2026-01-10 18:00+00', ARRAY(SELECT id FROM users WHERE email <> 'ana@example.com' ORDER BY email)
WHERE NOT EXISTS (SELECT 1 FROM expertise_events);

INSERT INTO community_events (title, community, starts_at, attendee_ids)
SELECT 'Neighbourhood bread swap', 'Eastside bakers', '2026-01-17 10:00+00',
       ARRAY(SELECT id FROM users WHERE email IN ('bo@example.com', 'dara@example.com') ORDER BY email)
WHERE NOT EXISTS (SELECT 1 FROM community_events);
