UPDATE sessions SET name = '' WHERE name IS NULL;
ALTER TABLE sessions ALTER COLUMN name SET NOT NULL;
