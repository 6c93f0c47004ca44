-- A CREATE INDEX CONCURRENTLY that failed half-way leaves an INVALID index behind.
SELECT i.indisvalid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname = 'orders_customer_id_idx';
