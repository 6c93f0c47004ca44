DROP INDEX IF EXISTS idx_roles_name;
DROP INDEX IF EXISTS idx_admin_users_active;
DROP INDEX IF EXISTS idx_admin_users_email;
DROP TABLE admin_user_roles;
DROP TABLE admin_users;
DROP TABLE roles;
