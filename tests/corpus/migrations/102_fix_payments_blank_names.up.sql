UPDATE payments SET name = 'unnamed' WHERE btrim(name) = '';
