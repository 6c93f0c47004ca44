ALTER TABLE files VALIDATE CONSTRAINT files_name_not_blank;
