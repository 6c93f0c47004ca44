UPDATE sessions SET name = 'unnamed' WHERE btrim(name) = '';
