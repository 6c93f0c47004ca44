UPDATE customers SET loyalty_tier = 'bronze';
