-- Set 4 (foreign key integrity), 1/2: 42 foreign keys, all validated.
SELECT count(*)
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = 'public' AND con.contype = 'f' AND con.convalidated;
