DROP TABLE IF EXISTS maintenance.week1_row_counts;
DROP SCHEMA IF EXISTS maintenance;
