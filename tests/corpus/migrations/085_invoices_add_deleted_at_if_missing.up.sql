DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'invoices' AND column_name = 'deleted_at'
  ) THEN
    ALTER TABLE invoices ADD COLUMN deleted_at timestamptz;
  END IF;
END
$$;
