DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'notifications' AND column_name = 'deleted_at'
  ) THEN
    ALTER TABLE notifications ADD COLUMN deleted_at timestamptz;
  END IF;
END
$$;
