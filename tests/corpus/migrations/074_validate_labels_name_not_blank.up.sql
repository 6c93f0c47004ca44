ALTER TABLE labels VALIDATE CONSTRAINT labels_name_not_blank;
