ALTER TABLE payments ADD COLUMN description text;
