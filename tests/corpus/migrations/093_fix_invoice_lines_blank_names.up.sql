UPDATE invoice_lines SET name = 'unnamed' WHERE btrim(name) = '';
