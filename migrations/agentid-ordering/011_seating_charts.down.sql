DROP TABLE IF EXISTS seating_charts;
