-- Prices converted: each priced package got its amount in cents ('49,00 €' → 4900).
SELECT count(*)
FROM backup.service_packages_20250902 b
JOIN service_packages sp ON sp.id = b.id
WHERE (b.price IS NULL) <> (sp.price_cents IS NULL);
