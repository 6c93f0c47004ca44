-- Verify removed tables gone. Expected: 0 (all tables dropped).
SELECT COUNT(*) AS removed_table_count
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN (
    'quests', 'quest_moves', 'quest_milestones',
    'capability_nodes', 'maneuver_prerequisites',
    'quick_wins', 'cohort_relations', 'move_decisions', 'notifications'
  );
