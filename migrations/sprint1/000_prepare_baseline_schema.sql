-- Preparation: the booking system as it stands before Sprint 1 (customers, bookings,
-- payments exist), so the runbook runs end to end on an empty scratch database.
-- Idempotent: a no-op where these tables already exist.
CREATE TABLE IF NOT EXISTS customers (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    full_name   VARCHAR(255) NOT NULL,
    email       VARCHAR(255) NOT NULL UNIQUE,
    phone       VARCHAR(20),
    created_at  TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS bookings (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  UUID NOT NULL REFERENCES customers(id),
    event_date   DATE NOT NULL,
    guest_count  INT NOT NULL CHECK (guest_count > 0),
    status       VARCHAR(50) NOT NULL DEFAULT 'pending',
    created_at   TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS payments (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    booking_id   UUID NOT NULL REFERENCES bookings(id),
    amount       DECIMAL(10,2) NOT NULL,
    paid_at      TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

INSERT INTO customers (full_name, email, phone)
VALUES ('Kenji Sato', 'kenji@example.com', '555-0101'),
       ('Maria Lopez', 'maria@example.com', '555-0102'),
       ('Sam Okafor', 'sam@example.com', NULL)
ON CONFLICT (email) DO NOTHING;

INSERT INTO bookings (customer_id, event_date, guest_count, status)
SELECT c.id, b.event_date, b.guests, b.status
FROM (VALUES ('kenji@example.com', DATE '2025-03-14', 12, 'confirmed'),
             ('maria@example.com', DATE '2025-03-21', 25, 'confirmed'),
             ('maria@example.com', DATE '2025-04-02', 8, 'pending'),
             ('sam@example.com', DATE '2025-04-19', 40, 'pending')) AS b (email, event_date, guests, status)
JOIN customers c ON c.email = b.email
WHERE NOT EXISTS (SELECT 1 FROM bookings);

INSERT INTO payments (booking_id, amount)
SELECT id, guest_count * 55.00
FROM bookings
WHERE status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM payments);
