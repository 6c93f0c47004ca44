-- Items whose order or product is missing: none expected.
SELECT oi.order_id, oi.product_id
FROM order_items oi
LEFT JOIN orders o ON o.id = oi.order_id
LEFT JOIN products p ON p.id = oi.product_id
WHERE o.id IS NULL OR p.id IS NULL;
