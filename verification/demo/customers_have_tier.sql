-- Every customer has a loyalty tier after the backfill.
SELECT count(*) FROM customers WHERE loyalty_tier IS NULL;
