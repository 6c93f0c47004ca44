-- Shipped revenue in euros: a sanity range, not an exact figure. (The pause stands in
-- for a heavy reporting query.)
SELECT coalesce(sum(oi.quantity * p.price_cents), 0) / 100.0
FROM orders o
JOIN order_items oi ON oi.order_id = o.id
JOIN products p ON p.id = oi.product_id
CROSS JOIN (SELECT pg_sleep(3)) AS pause
WHERE o.status = 'shipped';
