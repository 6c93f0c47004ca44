-- Set 2 (unused tables removed), 1/1: lists any of the 9 that still exists.
SELECT table_name
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN (
    'quests', 'quest_moves', 'quest_milestones',
    'capability_nodes', 'maneuver_prerequisites',
    'quick_wins', 'cohort_relations', 'move_decisions', 'notifications'
  );
