ALTER TABLE memberships ADD COLUMN metadata jsonb;
