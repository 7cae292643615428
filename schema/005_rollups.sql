-- Rollups (SPEC §8 Retention): per-minute and per-hour figures of every agent's host and of
-- every container, so a long range reads thousands of rows, not millions, and outlives the raw
-- rows that retention.raw_days deletes.
--   * Each row is the aggregate of the raw rows whose time falls in [period_start,
--     period_start + 1 minute or hour): samples (rows), and per figure its _sum, _count (rows
--     where it is not NULL) and _max; _avg is _sum / _count. Sums and counts, not averages,
--     so an hour is exactly the sum of its minutes and a coarser step of its hours.
--   * A minute row is recomputed from the raw rows, never incremented, so doing it twice counts
--     nothing twice; an hour row from its minute rows.
--   * rollup_pending lists the (agent, minute)s that samples were stored in since they were
--     last rolled up: each sample's transaction inserts a row, never updates one, so samples
--     never wait for each other nor for a rollup. The rollup reads the rows, recomputes their
--     minutes, and deletes exactly the rows it read; one committed after that read stays for
--     the next pass (src/rollup/rollup.hpp).
--   * rollup_progress 'backfill' walks the raw rows from before this migration (`until`, its
--     time), which have no pending rows, in ten-minute steps from the oldest; `position` is
--     where it got to, `finished_at` set when done. Rows stored after it have pending rows.
CREATE TABLE IF NOT EXISTS server_minute (
  agent_id VARCHAR(255) NOT NULL,
  period_start DATETIME NOT NULL,
  samples INT NOT NULL,
  cpu_percent_sum DOUBLE NULL,
  cpu_percent_count INT NOT NULL,
  cpu_percent_max DECIMAL(5,2) NULL,
  cpu_percent_avg DOUBLE AS (cpu_percent_sum / NULLIF(cpu_percent_count, 0)) VIRTUAL,
  memory_used_sum DOUBLE NULL,       -- MiB
  memory_used_count INT NOT NULL,
  memory_used_max INT NULL,
  memory_used_avg DOUBLE AS (memory_used_sum / NULLIF(memory_used_count, 0)) VIRTUAL,
  memory_percent_sum DOUBLE NULL,
  memory_percent_count INT NOT NULL,
  memory_percent_max DECIMAL(5,2) NULL,
  memory_percent_avg DOUBLE AS (memory_percent_sum / NULLIF(memory_percent_count, 0)) VIRTUAL,
  PRIMARY KEY (agent_id, period_start),
  KEY period_time (period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Index names are per table: the hour tables are copies.
CREATE TABLE IF NOT EXISTS server_hour LIKE server_minute;

CREATE TABLE IF NOT EXISTS container_minute (
  agent_id VARCHAR(255) NOT NULL,
  period_start DATETIME NOT NULL,
  container_name VARCHAR(500) NOT NULL,
  samples INT NOT NULL,
  cpu_percent_sum DOUBLE NULL,
  cpu_percent_count INT NOT NULL,
  cpu_percent_max DECIMAL(7,2) NULL,
  cpu_percent_avg DOUBLE AS (cpu_percent_sum / NULLIF(cpu_percent_count, 0)) VIRTUAL,
  memory_usage_sum DOUBLE NULL,      -- MiB
  memory_usage_count INT NOT NULL,
  memory_usage_max DECIMAL(10,2) NULL,
  memory_usage_avg DOUBLE AS (memory_usage_sum / NULLIF(memory_usage_count, 0)) VIRTUAL,
  memory_percent_sum DOUBLE NULL,
  memory_percent_count INT NOT NULL,
  memory_percent_max DECIMAL(5,2) NULL,
  memory_percent_avg DOUBLE AS (memory_percent_sum / NULLIF(memory_percent_count, 0)) VIRTUAL,
  -- An (agent, minute)'s rows together: the rollup rewrites them, the hour reads them.
  PRIMARY KEY (agent_id, period_start, container_name),
  -- One container's series.
  KEY series (agent_id, container_name, period_start),
  KEY period_time (period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS container_hour LIKE container_minute;

CREATE TABLE IF NOT EXISTS rollup_pending (
  id BIGINT NOT NULL AUTO_INCREMENT,
  agent_id VARCHAR(255) NOT NULL,
  period_start DATETIME NOT NULL,
  PRIMARY KEY (id),
  -- An agent's oldest pending minute: series read the raw rows from it on.
  KEY agent_time (agent_id, period_start),
  KEY period_time (period_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS rollup_progress (
  name VARCHAR(32) CHARACTER SET ascii NOT NULL,
  position DATETIME NULL,
  until DATETIME NULL,
  finished_at DATETIME NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO rollup_progress (name, until) VALUES ('backfill', UTC_TIMESTAMP());
