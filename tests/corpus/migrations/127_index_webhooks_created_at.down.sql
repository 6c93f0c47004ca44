DROP INDEX IF EXISTS webhooks_created_at_idx;
