CREATE TABLE import_staging (line text);
DELETE FROM import_staging;
