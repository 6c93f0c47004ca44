CREATE TABLE order_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    kind        text NOT NULL,
    happened_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO order_events (order_id, kind, happened_at)
SELECT id, status, placed_at FROM orders;

SELECT pg_sleep(8);
