DROP TABLE IF EXISTS reservation_user_data;
