-- Breaking: any client still selecting customers.fax fails from here on.
ALTER TABLE customers DROP COLUMN fax;
