-- Pre-migration: dependencies verified — every package's business_id is the id of an
-- existing business profile (else the copy into the new table fails). Lists offenders.
SELECT sp.id, sp.business_id
FROM service_packages sp
WHERE NOT EXISTS (SELECT 1 FROM business_profiles bp WHERE bp.id::text = sp.business_id::text);
