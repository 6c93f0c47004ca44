-- Re-creates the 9 removed tables (the plan's rollback option 3) with their old
-- structure. Their rows are NOT restored: for the data, restore the pre-migration
-- backup instead (rollback options 1 and 2).
CREATE TABLE IF NOT EXISTS quests (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint, title text NOT NULL);
CREATE TABLE IF NOT EXISTS quest_moves (quest_id bigint NOT NULL REFERENCES quests (id), move_id bigint NOT NULL, PRIMARY KEY (quest_id, move_id));
CREATE TABLE IF NOT EXISTS quest_milestones (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, quest_id bigint NOT NULL, title text NOT NULL);
CREATE TABLE IF NOT EXISTS capability_nodes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE IF NOT EXISTS maneuver_prerequisites (node_id bigint NOT NULL, requires_node_id bigint NOT NULL, PRIMARY KEY (node_id, requires_node_id));
CREATE TABLE IF NOT EXISTS quick_wins (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id bigint, title text NOT NULL);
CREATE TABLE IF NOT EXISTS cohort_relations (cohort_a bigint NOT NULL, cohort_b bigint NOT NULL, PRIMARY KEY (cohort_a, cohort_b));
CREATE TABLE IF NOT EXISTS move_decisions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, move_id bigint, decision text);
CREATE TABLE IF NOT EXISTS notifications (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint, body text NOT NULL, read_at timestamptz);
