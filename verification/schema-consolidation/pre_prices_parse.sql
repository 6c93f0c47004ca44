-- Pre-migration: every price text parses as an amount (NULL means "on request").
-- Read through to_jsonb so the query also runs once the column is gone.
SELECT count(*)
FROM service_packages sp
WHERE to_jsonb(sp) ->> 'price' IS NOT NULL
  AND replace(regexp_replace(to_jsonb(sp) ->> 'price', '[^0-9,]', '', 'g'), ',', '.')
      !~ '^[0-9]+(\.[0-9]{1,2})?$';
