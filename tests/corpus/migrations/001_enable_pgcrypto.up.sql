-- gen_random_uuid() for public ids
CREATE EXTENSION IF NOT EXISTS pgcrypto;
