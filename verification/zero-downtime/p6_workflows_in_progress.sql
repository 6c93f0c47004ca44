-- Phase 6 · test workflow progress view.
SELECT * FROM workflow_progress_view WHERE workflow_status = 'in_progress';
