-- Set 4, 2/2: 0 orphaned records in the tables 011 linked up.
SELECT
    (SELECT count(*) FROM agent_recommendations ar
      WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = ar.agent_id))
  + (SELECT count(*) FROM agent_trust_scores ats
      WHERE NOT EXISTS (SELECT 1 FROM agents a WHERE a.id = ats.agent_id))
  + (SELECT count(*) FROM competitors co
      WHERE NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = co.workspace_id))
  + (SELECT count(*) FROM moves m
      WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id));
