DROP TABLE IF EXISTS user_agent_mappings;
