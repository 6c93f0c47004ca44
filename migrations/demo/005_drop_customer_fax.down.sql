-- The column comes back empty: the values are gone (that is why the step is breaking).
ALTER TABLE customers ADD COLUMN IF NOT EXISTS fax text;
