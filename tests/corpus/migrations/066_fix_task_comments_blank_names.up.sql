UPDATE task_comments SET name = 'unnamed' WHERE btrim(name) = '';
