-- Build the index without blocking writes.
SET maintenance_work_mem = '1GB';

CREATE INDEX CONCURRENTLY users_email_idx
    ON users (email);
