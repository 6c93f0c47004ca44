DROP TABLE IF EXISTS anonymous_users;
