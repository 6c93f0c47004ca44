DROP TABLE IF EXISTS invoice_lines;
