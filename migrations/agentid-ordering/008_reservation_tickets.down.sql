DROP TABLE IF EXISTS reservation_tickets;
