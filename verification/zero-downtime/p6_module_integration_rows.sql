-- Phase 6 · test module integration view.
SELECT * FROM module_integration_view LIMIT 10;
