UPDATE webhooks SET name = 'unnamed' WHERE btrim(name) = '';
