-- Migration 1.5, either branch: deposits has metadata_json and stripe_payment_method_id.
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'deposits'
  AND column_name IN ('metadata_json', 'stripe_payment_method_id');
