-- Alerts (SPEC §8). Each alert is one rule about one agent (and, for container rules, one
-- container): its state, since when, and the last state a notification was sent for, so a
-- restarted server neither forgets an alert nor notifies it again.
--   * subject_hash is SHA-256 of "rule NUL agent_id NUL container_name" in hex: the unique key
--     of an alert, since (rule, agent_id, container_name) is longer than InnoDB's 3072-byte key.
--   * state: pending (the condition holds, not yet for long enough), firing, resolved.
--   * notified: the state the last notification was sent (or given up) for; an alert whose
--     state differs from it has a notification due.
-- alert_lease is held by the one server that evaluates (Galera has no GET_LOCK): a row per
-- lease, taken when expired, renewed by its holder at every evaluation.
CREATE TABLE IF NOT EXISTS alert_state (
  id BIGINT NOT NULL AUTO_INCREMENT,
  subject_hash CHAR(64) CHARACTER SET ascii NOT NULL,
  rule VARCHAR(100) NOT NULL,
  kind VARCHAR(32) NOT NULL,
  severity VARCHAR(16) NOT NULL,
  agent_id VARCHAR(255) NOT NULL,
  container_name VARCHAR(500) NOT NULL DEFAULT '',
  state VARCHAR(16) NOT NULL,
  since DATETIME NOT NULL,
  fired_at DATETIME NULL,
  resolved_at DATETIME NULL,
  value DOUBLE NULL,
  threshold DOUBLE NULL,
  notified VARCHAR(16) NULL,
  notified_at DATETIME NULL,
  PRIMARY KEY (id),
  UNIQUE KEY alert_subject (subject_hash),
  KEY alert_state_since (state, since)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS alert_lease (
  name VARCHAR(32) CHARACTER SET ascii NOT NULL,
  holder VARCHAR(200) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
