CREATE TABLE audit_archive (
  id bigint NOT NULL,
  account_id bigint NOT NULL,
  happened_at timestamptz NOT NULL,
  payload jsonb
) PARTITION BY RANGE (happened_at);
CREATE TABLE audit_archive_2026 PARTITION OF audit_archive
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
