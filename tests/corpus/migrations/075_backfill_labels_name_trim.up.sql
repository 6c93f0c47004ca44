UPDATE labels SET name = btrim(name);
