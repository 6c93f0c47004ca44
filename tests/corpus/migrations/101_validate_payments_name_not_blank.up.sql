ALTER TABLE payments VALIDATE CONSTRAINT payments_name_not_blank;
