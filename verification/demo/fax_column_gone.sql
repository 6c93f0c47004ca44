SELECT count(*)
FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'customers' AND column_name = 'fax';
