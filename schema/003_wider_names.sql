-- Room for the names real hosts give (SPEC §4 allows widening where the original cannot hold
-- real values). Kubernetes' dockershim names containers k8s_<container>_<pod>_<namespace>_<uid>_<n>,
-- often 110-130 characters and up to about 430; a fully qualified host name, the default
-- agent_id and node_name, may have 253. The original's VARCHAR(100) refused every sample of
-- such a host. Now:
--   * agent_id VARCHAR(255) (both tables), node_name VARCHAR(255), container_name VARCHAR(500).
--   * The widest index, container (agent_id, container_name, con_get_datetime), stays within
--     InnoDB's 3072-byte key limit: (255 + 500) x 4 bytes of utf8mb4 + 5 = 3025.
-- The lengths are report/limits.hpp's, which the agent and the server check against.
-- MODIFY is idempotent, so a run cut between the two statements is finished by the next.
ALTER TABLE server
  MODIFY COLUMN agent_id VARCHAR(255);

ALTER TABLE container
  MODIFY COLUMN agent_id VARCHAR(255),
  MODIFY COLUMN node_name VARCHAR(255),
  MODIFY COLUMN container_name VARCHAR(500);
