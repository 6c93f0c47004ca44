UPDATE api_keys SET name = btrim(name);
