UPDATE notifications SET name = 'unnamed' WHERE btrim(name) = '';
