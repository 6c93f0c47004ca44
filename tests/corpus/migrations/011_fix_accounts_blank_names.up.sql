UPDATE accounts SET name = 'unnamed' WHERE btrim(name) = '';
