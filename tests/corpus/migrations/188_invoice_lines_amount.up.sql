ALTER TABLE invoice_lines ADD COLUMN amount_cents bigint NOT NULL DEFAULT 0;
