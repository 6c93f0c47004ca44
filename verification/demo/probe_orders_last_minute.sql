-- Throughput: orders placed in the last minute.
SELECT count(*) FROM orders WHERE placed_at > now() - interval '1 minute';
