-- Workflow execution failures, percent of executions finished in the last hour.
SELECT coalesce(round(100.0 * count(*) FILTER (WHERE status = 'failed') / nullif(count(*), 0), 2), 0)
FROM workflow_executions
WHERE finished_at > now() - interval '1 hour';
