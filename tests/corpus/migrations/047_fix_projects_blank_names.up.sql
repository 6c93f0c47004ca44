UPDATE projects SET name = 'unnamed' WHERE btrim(name) = '';
