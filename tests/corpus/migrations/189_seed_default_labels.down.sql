DELETE FROM labels WHERE name IN ('bug', 'feature', 'chore');
