-- Adding a nullable column with a constant default is a catalog-only change since PG 11.
ALTER TABLE customers ADD COLUMN loyalty_tier text DEFAULT 'bronze';
