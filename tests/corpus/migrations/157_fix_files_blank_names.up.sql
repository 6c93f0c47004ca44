UPDATE files SET name = 'unnamed' WHERE btrim(name) = '';
