UPDATE memberships SET name = 'unnamed' WHERE btrim(name) = '';
