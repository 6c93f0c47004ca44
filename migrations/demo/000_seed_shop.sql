-- Preparation: the shop as it is before tonight's window. Idempotent, so the demo runs
-- on an empty scratch database and again on one where it already ran.
CREATE TABLE IF NOT EXISTS customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    full_name   text NOT NULL,
    fax         text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    title       text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE IF NOT EXISTS orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      text NOT NULL DEFAULT 'placed',
    placed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS order_items (
    order_id    bigint NOT NULL REFERENCES orders (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

INSERT INTO customers (email, full_name, fax, created_at)
VALUES ('ada@example.com', 'Ada Lovelace', NULL, now() - interval '400 days'),
       ('grace@example.com', 'Grace Hopper', '+1 555 0100', now() - interval '200 days'),
       ('edsger@example.com', 'Edsger Dijkstra', NULL, now() - interval '20 days'),
       ('barbara@example.com', 'Barbara Liskov', NULL, now() - interval '3 days')
ON CONFLICT (email) DO NOTHING;

INSERT INTO products (sku, title, price_cents)
VALUES ('MUG-01', 'Enamel mug', 1200),
       ('TEE-01', 'Logo t-shirt', 2500),
       ('STK-01', 'Sticker pack', 400)
ON CONFLICT (sku) DO NOTHING;

-- Six orders with their items, only the first time.
INSERT INTO orders (customer_id, status, placed_at)
SELECT c.id, o.status, now() - o.age
FROM (VALUES ('ada@example.com', 'shipped', interval '40 days'),
             ('ada@example.com', 'shipped', interval '12 days'),
             ('grace@example.com', 'shipped', interval '9 days'),
             ('grace@example.com', 'placed', interval '2 days'),
             ('edsger@example.com', 'placed', interval '1 day'),
             ('barbara@example.com', 'cancelled', interval '3 hours')) AS o (email, status, age)
JOIN customers c ON c.email = o.email
WHERE NOT EXISTS (SELECT 1 FROM orders);

INSERT INTO order_items (order_id, product_id, quantity)
SELECT o.id, p.id, 1 + (o.id + p.id) % 3
FROM orders o
JOIN products p ON (o.id + p.id) % 2 = 0 OR p.sku = 'STK-01'
ON CONFLICT DO NOTHING;

-- A little pause so the timeline shows the preparation taking time.
SELECT pg_sleep(5);
