-- All tables exist with correct structure: service_packages has the expected columns
-- with the expected types (9 of them).
SELECT count(*)
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = 'service_packages'
  AND (column_name, data_type) IN (
      ('id', 'bigint'), ('business_id', 'uuid'), ('name', 'text'),
      ('price_cents', 'integer'), ('currency', 'character'), ('services', 'jsonb'),
      ('sort_order', 'integer'), ('is_active', 'boolean'),
      ('created_at', 'timestamp with time zone'));
