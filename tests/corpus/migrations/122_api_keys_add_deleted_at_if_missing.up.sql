DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'api_keys' AND column_name = 'deleted_at'
  ) THEN
    ALTER TABLE api_keys ADD COLUMN deleted_at timestamptz;
  END IF;
END
$$;
