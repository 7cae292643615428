-- HiCloud's two tables, with the names, column order and meaning of the
-- original design (SPEC §4). Departures, all widenings:
--   * id is BIGINT: an INT id runs out after 2^31 rows, hours at HiCloud's ingest rate.
--   * container.con_cpu_percent is DECIMAL(7,2): a container may use every core of its host
--     (1600 % on 16 cores), and DECIMAL(5,2) stops at 999.99; 7,2 holds up to 999 cores.
-- Indexes serve "latest sample per agent" and "time range for one agent / one container".
-- Re-runnable (IF NOT EXISTS): MySQL commits DDL one statement at a time.

CREATE TABLE IF NOT EXISTS server (
  id BIGINT NOT NULL AUTO_INCREMENT,
  engine_type VARCHAR(50),
  agent_id VARCHAR(100),
  ser_cpu_count INT,
  ser_cpu_percent DECIMAL(5,2),
  ser_memory_total INT,            -- MiB
  ser_memory_used INT,             -- MiB
  ser_memory_percent DECIMAL(5,2),
  ser_get_datetime DATETIME,
  PRIMARY KEY (id),
  KEY server_agent_time (agent_id, ser_get_datetime),
  KEY server_time (ser_get_datetime)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS container (
  id BIGINT NOT NULL AUTO_INCREMENT,
  engine_type VARCHAR(50),
  agent_id VARCHAR(100),
  node_name VARCHAR(100),
  container_name VARCHAR(100),
  status VARCHAR(50),
  con_cpu_percent DECIMAL(7,2),
  con_memory_usage DECIMAL(10,2),  -- MiB
  con_memory_percent DECIMAL(5,2),
  con_get_datetime DATETIME,
  PRIMARY KEY (id),
  KEY container_agent_time (agent_id, con_get_datetime),
  KEY container_agent_name_time (agent_id, container_name, con_get_datetime),
  KEY container_time (con_get_datetime)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
