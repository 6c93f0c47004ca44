COMMENT ON TABLE audit_events IS 'Who did what, kept for 400 days';
