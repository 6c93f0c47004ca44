ALTER TABLE webhooks DROP CONSTRAINT IF EXISTS webhooks_name_not_blank;
