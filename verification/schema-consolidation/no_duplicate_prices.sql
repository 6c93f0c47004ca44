-- No duplicate service prices left (lists any package/variant still duplicated).
SELECT package_id, variant, count(*)
FROM service_prices
GROUP BY package_id, variant
HAVING count(*) > 1;
