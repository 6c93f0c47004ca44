ALTER TABLE labels DROP CONSTRAINT IF EXISTS labels_project_name_key;
