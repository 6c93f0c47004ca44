DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'webhooks' AND column_name = 'deleted_at'
  ) THEN
    ALTER TABLE webhooks ADD COLUMN deleted_at timestamptz;
  END IF;
END
$$;
