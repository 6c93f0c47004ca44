-- Set 1, 4/4: competitors.workspace_id is a bigint and filled for every row.
SELECT count(*)
FROM competitors
WHERE workspace_id IS NULL
   OR (SELECT data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'competitors' AND column_name = 'workspace_id') <> 'bigint';
