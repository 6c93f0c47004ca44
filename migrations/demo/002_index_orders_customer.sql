-- CONCURRENTLY cannot run inside a transaction block: with `transaction: auto`
-- cutover sees that and runs this step outside a transaction.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);

-- Stands in for the build time of a large table (this statement also runs on its own,
-- outside a transaction, like the index build).
SELECT pg_sleep(8);
