ALTER TABLE labels DROP CONSTRAINT IF EXISTS labels_name_not_blank;
