-- Preparation: the production schema as it stands before Week 1 Wednesday, so the
-- runbook runs end to end on an empty scratch database. Idempotent: on the real
-- production database every statement is a no-op.
--
-- 52 tables in public: 43 that stay, 3 of them with schema conflicts
-- (agent_recommendations, agent_trust_scores, competitors), and 9 unused ones
-- (gamification, tech tree, partial features) that migration 012 removes.
-- 38 foreign keys, 16 row-level-security policies.

-- ---------------------------------------------------------------- core
CREATE TABLE IF NOT EXISTS workspaces (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS workspace_members (
    workspace_id bigint NOT NULL REFERENCES workspaces (id),
    user_id      bigint NOT NULL REFERENCES users (id),
    role         text NOT NULL DEFAULT 'member',
    PRIMARY KEY (workspace_id, user_id)
);
CREATE TABLE IF NOT EXISTS agents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id),
    name         text NOT NULL
);
CREATE TABLE IF NOT EXISTS campaigns (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint NOT NULL REFERENCES workspaces (id),
    owner_id     bigint REFERENCES users (id),
    name         text NOT NULL,
    status       text NOT NULL DEFAULT 'draft'
);
CREATE TABLE IF NOT EXISTS moves (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    title        text NOT NULL,
    due_on       date
);

-- ---------------------------------------------------------------- the three conflicts
-- Two earlier migrations disagreed on these tables: production got the older shape.
CREATE TABLE IF NOT EXISTS agent_recommendations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    agent_id     bigint NOT NULL,            -- no foreign key (conflict)
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
    -- missing: workspace_id, outcome_status, outcome_quality_score
);
CREATE TABLE IF NOT EXISTS agent_trust_scores (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id     bigint NOT NULL,            -- no foreign key (conflict)
    score        numeric(4,3) NOT NULL,
    measured_at  timestamptz NOT NULL DEFAULT now()
    -- missing: workspace_id
);
CREATE TABLE IF NOT EXISTS competitors (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace    text NOT NULL,              -- workspace id as text (conflict)
    name         text NOT NULL,
    website      text
);

-- ---------------------------------------------------------------- the rest that stays
CREATE TABLE IF NOT EXISTS campaign_channels (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign_id bigint NOT NULL REFERENCES campaigns (id), channel text NOT NULL);
CREATE TABLE IF NOT EXISTS campaign_assets (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign_id bigint NOT NULL REFERENCES campaigns (id), url text NOT NULL);
CREATE TABLE IF NOT EXISTS campaign_metrics (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign_id bigint NOT NULL REFERENCES campaigns (id), metric text NOT NULL, value numeric NOT NULL);
CREATE TABLE IF NOT EXISTS move_steps (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, move_id bigint NOT NULL REFERENCES moves (id), position integer NOT NULL, body text);
CREATE TABLE IF NOT EXISTS move_assignments (move_id bigint NOT NULL REFERENCES moves (id), user_id bigint NOT NULL REFERENCES users (id), PRIMARY KEY (move_id, user_id));
CREATE TABLE IF NOT EXISTS move_comments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, move_id bigint NOT NULL REFERENCES moves (id), author_id bigint NOT NULL, body text NOT NULL);
CREATE TABLE IF NOT EXISTS audiences (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS audience_segments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, audience_id bigint NOT NULL REFERENCES audiences (id), rule jsonb NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS personas (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS brand_profiles (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), voice text);
CREATE TABLE IF NOT EXISTS content_items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), campaign_id bigint, title text NOT NULL);
CREATE TABLE IF NOT EXISTS content_versions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, content_item_id bigint NOT NULL REFERENCES content_items (id), body text NOT NULL);
CREATE TABLE IF NOT EXISTS content_approvals (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, content_version_id bigint NOT NULL REFERENCES content_versions (id), approver_id bigint NOT NULL);
CREATE TABLE IF NOT EXISTS calendars (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS calendar_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, calendar_id bigint NOT NULL REFERENCES calendars (id), move_id bigint, starts_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS integrations (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), provider text NOT NULL);
CREATE TABLE IF NOT EXISTS integration_tokens (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, integration_id bigint NOT NULL, expires_at timestamptz);
CREATE TABLE IF NOT EXISTS webhooks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), url text NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_deliveries (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, webhook_id bigint NOT NULL, status integer);
CREATE TABLE IF NOT EXISTS api_keys (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), prefix text NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint, user_id bigint, action text NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS billing_accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), email text);
CREATE TABLE IF NOT EXISTS plans (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS subscriptions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, billing_account_id bigint NOT NULL REFERENCES billing_accounts (id), plan_id bigint NOT NULL REFERENCES plans (id));
CREATE TABLE IF NOT EXISTS invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, billing_account_id bigint NOT NULL REFERENCES billing_accounts (id), total_cents integer NOT NULL);
CREATE TABLE IF NOT EXISTS feature_flags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text NOT NULL UNIQUE, enabled boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS user_settings (user_id bigint PRIMARY KEY REFERENCES users (id), settings jsonb NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS workspace_settings (workspace_id bigint PRIMARY KEY REFERENCES workspaces (id), settings jsonb NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), label text NOT NULL);
CREATE TABLE IF NOT EXISTS campaign_tags (campaign_id bigint NOT NULL REFERENCES campaigns (id), tag_id bigint NOT NULL REFERENCES tags (id), PRIMARY KEY (campaign_id, tag_id));
CREATE TABLE IF NOT EXISTS files (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL, path text NOT NULL);
CREATE TABLE IF NOT EXISTS insights (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, campaign_id bigint, summary text NOT NULL);
CREATE TABLE IF NOT EXISTS reports (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id), name text NOT NULL);
CREATE TABLE IF NOT EXISTS report_schedules (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, report_id bigint NOT NULL REFERENCES reports (id), cron text NOT NULL);

-- ---------------------------------------------------------------- unused (removed by 012)
CREATE TABLE IF NOT EXISTS quests (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint, title text NOT NULL);
CREATE TABLE IF NOT EXISTS quest_moves (quest_id bigint NOT NULL REFERENCES quests (id), move_id bigint NOT NULL, PRIMARY KEY (quest_id, move_id));
CREATE TABLE IF NOT EXISTS quest_milestones (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quest_id bigint NOT NULL, title text NOT NULL);
CREATE TABLE IF NOT EXISTS capability_nodes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE IF NOT EXISTS maneuver_prerequisites (node_id bigint NOT NULL, requires_node_id bigint NOT NULL, PRIMARY KEY (node_id, requires_node_id));
CREATE TABLE IF NOT EXISTS quick_wins (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint, title text NOT NULL);
CREATE TABLE IF NOT EXISTS cohort_relations (cohort_a bigint NOT NULL, cohort_b bigint NOT NULL, PRIMARY KEY (cohort_a, cohort_b));
CREATE TABLE IF NOT EXISTS move_decisions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, move_id bigint, decision text);
CREATE TABLE IF NOT EXISTS notifications (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint, body text NOT NULL, read_at timestamptz);

-- ---------------------------------------------------------------- row-level security: 16 policies
ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE moves ENABLE ROW LEVEL SECURITY;
ALTER TABLE audiences ENABLE ROW LEVEL SECURITY;
ALTER TABLE personas ENABLE ROW LEVEL SECURITY;
ALTER TABLE brand_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE content_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendars ENABLE ROW LEVEL SECURITY;
ALTER TABLE integrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE reports ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workspace_members', 'agents', 'campaigns', 'audiences', 'personas',
                             'brand_profiles', 'content_items', 'calendars', 'integrations',
                             'webhooks', 'api_keys', 'billing_accounts', 'tags', 'reports']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = t) THEN
            EXECUTE format(
                'CREATE POLICY %I ON %I USING (workspace_id = nullif(current_setting(''app.workspace_id'', true), '''')::bigint)',
                t || '_workspace_isolation', t);
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = 'workspaces') THEN
        CREATE POLICY workspaces_workspace_isolation ON workspaces
            USING (id = nullif(current_setting('app.workspace_id', true), '')::bigint);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = 'moves') THEN
        CREATE POLICY moves_workspace_isolation ON moves
            USING (campaign_id IN (SELECT id FROM campaigns));
    END IF;
END $$;

-- ---------------------------------------------------------------- some rows, only the first time
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM workspaces) THEN
        RETURN;
    END IF;
    INSERT INTO workspaces (name) VALUES ('Acme Growth'), ('Globex Marketing');
    INSERT INTO users (email) VALUES ('maya@acme.test'), ('ravi@acme.test'), ('lena@globex.test');
    INSERT INTO workspace_members (workspace_id, user_id) VALUES (1, 1), (1, 2), (2, 3);
    INSERT INTO agents (workspace_id, name) VALUES (1, 'Strategist'), (1, 'Copywriter'), (2, 'Analyst');
    INSERT INTO campaigns (workspace_id, owner_id, name, status)
    VALUES (1, 1, 'Spring launch', 'active'), (1, 2, 'Webinar series', 'draft'), (2, 3, 'Q1 retargeting', 'active');
    INSERT INTO moves (campaign_id, title, due_on)
    VALUES (1, 'Teaser post', '2024-02-01'), (1, 'Launch email', '2024-02-05'),
           (2, 'Speaker outreach', '2024-02-10'), (3, 'Audience refresh', '2024-02-03');
    INSERT INTO agent_recommendations (campaign_id, agent_id, body)
    VALUES (1, 1, 'Post the teaser on Tuesday'), (1, 2, 'Shorten the subject line'),
           (2, 1, 'Invite two external speakers'), (3, 3, 'Exclude recent buyers'),
           (3, 3, 'Raise the frequency cap');
    INSERT INTO agent_trust_scores (agent_id, score) VALUES (1, 0.82), (2, 0.74), (3, 0.91);
    INSERT INTO competitors (workspace, name, website)
    VALUES ('1', 'Initech', 'https://initech.test'), ('2', 'Hooli', 'https://hooli.test');
    INSERT INTO campaign_channels (campaign_id, channel) VALUES (1, 'email'), (1, 'social'), (3, 'ads');
    INSERT INTO plans (code) VALUES ('starter'), ('pro');
    INSERT INTO billing_accounts (workspace_id, email) VALUES (1, 'billing@acme.test'), (2, 'ap@globex.test');
    INSERT INTO subscriptions (billing_account_id, plan_id) VALUES (1, 2), (2, 1);
    INSERT INTO feature_flags (key, enabled) VALUES ('new-editor', true), ('quests', false);
    -- The unused features hold a little leftover data.
    INSERT INTO quests (workspace_id, title) VALUES (1, 'First 100 followers'), (1, 'Launch week');
    INSERT INTO quest_moves (quest_id, move_id) VALUES (1, 1), (2, 2);
    INSERT INTO quest_milestones (quest_id, title) VALUES (1, '50 followers');
    INSERT INTO capability_nodes (name) VALUES ('Email basics'), ('Paid social');
    INSERT INTO maneuver_prerequisites (node_id, requires_node_id) VALUES (2, 1);
    INSERT INTO quick_wins (workspace_id, title) VALUES (2, 'Fix the meta description');
    INSERT INTO notifications (user_id, body) VALUES (1, 'Welcome to quests!');
END $$;
