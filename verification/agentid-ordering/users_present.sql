-- There are users to migrate.
SELECT count(*) FROM users;
