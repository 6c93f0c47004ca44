-- One row per tier in use: bronze and silver.
SELECT loyalty_tier, count(*) AS customers
FROM customers
GROUP BY loyalty_tier
ORDER BY loyalty_tier;
