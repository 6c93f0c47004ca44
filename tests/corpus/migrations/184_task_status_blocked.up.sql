ALTER TYPE task_status ADD VALUE IF NOT EXISTS 'blocked' BEFORE 'done';
