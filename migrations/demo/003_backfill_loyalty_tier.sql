-- Customers of more than six months become silver, the rest stay bronze.
-- Reads and writes customers only, so it can run while orders is being indexed.
UPDATE customers
SET loyalty_tier = CASE WHEN created_at < now() - interval '180 days' THEN 'silver' ELSE 'bronze' END;

-- Stands in for a long batched backfill.
SELECT pg_sleep(20);
