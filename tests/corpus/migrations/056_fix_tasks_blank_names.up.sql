UPDATE tasks SET name = 'unnamed' WHERE btrim(name) = '';
