UPDATE invoices SET name = 'unnamed' WHERE btrim(name) = '';
