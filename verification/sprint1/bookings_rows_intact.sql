-- "Data Loss During ALTER TABLE" (risk 1): bookings still has every row and each still
-- points at its customer.
SELECT count(*)
FROM bookings b
LEFT JOIN customers c ON c.id = b.customer_id
WHERE c.id IS NULL;
