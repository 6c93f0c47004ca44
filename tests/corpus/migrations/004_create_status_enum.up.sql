CREATE TYPE task_status AS ENUM ('open', 'in_progress', 'done');
