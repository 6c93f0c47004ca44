-- 007_reservations (Phase 9): reservations use agentId from the start (rule 4).
CREATE TABLE reservations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agent_id     text NOT NULL,
    event_id     uuid NOT NULL REFERENCES expertise_events (id),
    party_size   integer NOT NULL DEFAULT 1 CHECK (party_size > 0),
    status       text NOT NULL DEFAULT 'held',
    reserved_at  timestamptz NOT NULL DEFAULT now()
);
