DROP TYPE IF EXISTS task_status;
