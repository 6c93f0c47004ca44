ALTER TABLE files RENAME TO attachments;
