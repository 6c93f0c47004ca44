ALTER TABLE labels ADD CONSTRAINT labels_project_name_key UNIQUE (project_id, name);
