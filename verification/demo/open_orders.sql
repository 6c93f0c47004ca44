-- Orders placed but not shipped yet; worth a look, not a reason to stop.
SELECT count(*) FROM orders WHERE status = 'placed';
