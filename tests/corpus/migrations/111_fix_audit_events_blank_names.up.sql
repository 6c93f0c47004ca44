UPDATE audit_events SET name = 'unnamed' WHERE btrim(name) = '';
