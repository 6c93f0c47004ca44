-- bookings.location_id references locations and the constraint is validated.
SELECT convalidated
FROM pg_constraint
WHERE conname = 'fk_bookings_location' AND conrelid = 'public.bookings'::regclass;
