-- 20250902000002 step 3 — the duplicates the July fix (20250701141123) left: keep the
-- most recent price per package and variant. The removed rows stay in
-- backup.service_prices_20250902.
DELETE FROM service_prices sp
USING (
    SELECT id,
           row_number() OVER (PARTITION BY package_id, variant ORDER BY updated_at DESC, id DESC) AS rn
    FROM service_prices
) ranked
WHERE ranked.id = sp.id AND ranked.rn > 1;
