-- 012_remove_unused_features: the 9 unused tables (gamification, tech tree, partial
-- features). Idempotent. Staging: 156 ms. Breaking for any client still reading them.
DROP TABLE IF EXISTS
    quest_moves,
    quest_milestones,
    quests,
    maneuver_prerequisites,
    capability_nodes,
    quick_wins,
    cohort_relations,
    move_decisions,
    notifications;
