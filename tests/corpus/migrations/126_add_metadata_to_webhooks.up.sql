ALTER TABLE webhooks ADD COLUMN metadata jsonb;
