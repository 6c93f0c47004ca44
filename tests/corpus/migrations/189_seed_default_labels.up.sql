INSERT INTO labels (project_id, name)
SELECT p.id, l.name FROM projects p CROSS JOIN (VALUES ('bug'), ('feature'), ('chore')) AS l(name)
ON CONFLICT DO NOTHING;
