DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'memberships' AND column_name = 'deleted_at'
  ) THEN
    ALTER TABLE memberships ADD COLUMN deleted_at timestamptz;
  END IF;
END
$$;
