UPDATE teams SET name = btrim(name);
