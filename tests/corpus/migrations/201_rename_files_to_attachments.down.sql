ALTER TABLE attachments RENAME TO files;
