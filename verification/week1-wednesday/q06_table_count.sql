-- Set 3 (core tables intact), 1/3: 43 tables remain (52 - 9).
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE';
