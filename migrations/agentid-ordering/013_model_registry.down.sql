DROP TABLE IF EXISTS model_registry;
