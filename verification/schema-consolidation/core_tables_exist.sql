-- All tables exist: the ones the earlier phases created are still there.
SELECT count(*)
FROM information_schema.tables
WHERE table_schema = 'public'
  AND table_name IN ('gmb_categories', 'business_profiles', 'user_roles', 'user_consents',
                     'job_queue', 'service_packages', 'service_prices');
