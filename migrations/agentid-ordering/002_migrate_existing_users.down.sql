DELETE FROM user_agent_mappings;
