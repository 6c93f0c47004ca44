CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_user_id_created_at_for_the_unread_digest_email_idx
  ON notifications (user_id, created_at) WHERE deleted_at IS NULL;
