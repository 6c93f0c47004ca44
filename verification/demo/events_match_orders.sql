-- Each order got exactly one event in the new table.
SELECT (SELECT count(*) FROM order_events) - (SELECT count(*) FROM orders);
