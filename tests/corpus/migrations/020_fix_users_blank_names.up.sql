UPDATE users SET name = 'unnamed' WHERE btrim(name) = '';
