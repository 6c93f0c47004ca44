DROP TABLE IF EXISTS audit_archive;
