-- Records every public table's row count before the window, outside the public
-- schema (so the table counts the plan checks stay 52 and 43). The verification
-- phase compares against it: "no data loss (0 rows deleted from needed tables)".
CREATE SCHEMA IF NOT EXISTS maintenance;

CREATE TABLE IF NOT EXISTS maintenance.week1_row_counts (
    table_name  text PRIMARY KEY,
    row_count   bigint NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now()
);

INSERT INTO maintenance.week1_row_counts (table_name, row_count)
SELECT t.table_name,
       (xpath('/row/n/text()',
              query_to_xml(format('SELECT count(*) AS n FROM public.%I', t.table_name), false, true, '')))[1]::text::bigint
FROM information_schema.tables t
WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count, taken_at = now();
