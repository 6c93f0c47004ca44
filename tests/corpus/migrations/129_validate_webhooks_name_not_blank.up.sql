ALTER TABLE webhooks VALIDATE CONSTRAINT webhooks_name_not_blank;
