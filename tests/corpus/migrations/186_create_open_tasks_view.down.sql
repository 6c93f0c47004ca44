DROP VIEW IF EXISTS open_tasks;
