-- Migration 1.1: Create Locations Table (Multi-Location Support, P0)
CREATE TABLE locations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    address_street VARCHAR(255) NOT NULL,
    address_city VARCHAR(100) NOT NULL,
    address_state VARCHAR(2) NOT NULL,
    address_zip VARCHAR(10) NOT NULL,
    phone VARCHAR(20),
    email VARCHAR(255),
    capacity INT DEFAULT 100,
    service_radius_miles DECIMAL(5,2) DEFAULT 30.0,
    base_travel_fee DECIMAL(10,2) DEFAULT 0.0,
    per_mile_fee DECIMAL(10,2) DEFAULT 2.0,
    is_active BOOLEAN DEFAULT TRUE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE INDEX idx_locations_active ON locations(is_active);
CREATE INDEX idx_locations_city_state ON locations(address_city, address_state);
