CREATE MATERIALIZED VIEW invoice_totals AS
  SELECT invoice_id, sum(amount_cents) AS total_cents FROM invoice_lines GROUP BY invoice_id
WITH NO DATA;
