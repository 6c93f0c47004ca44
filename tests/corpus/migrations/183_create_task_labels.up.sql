CREATE TABLE task_labels (
  task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  label_id bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE
);
ALTER TABLE task_labels ADD CONSTRAINT task_labels_pkey PRIMARY KEY (task_id, label_id);
