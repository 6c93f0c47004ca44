-- Set 3, 3/3: no data loss — tables that stay have at least the rows they had before
-- the window (snapshot taken in the preparation phase). Lists any table that shrank.
SELECT s.table_name, s.row_count AS before, now_count.n AS after
FROM maintenance.week1_row_counts s
JOIN information_schema.tables t
  ON t.table_schema = 'public' AND t.table_name = s.table_name AND t.table_type = 'BASE TABLE'
CROSS JOIN LATERAL (
    SELECT (xpath('/row/n/text()',
                  query_to_xml(format('SELECT count(*) AS n FROM public.%I', s.table_name), false, true, '')))[1]::text::bigint AS n
) AS now_count
WHERE now_count.n < s.row_count;
