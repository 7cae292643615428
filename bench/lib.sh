# shellcheck shell=bash disable=SC2154  # root and duration are the sourcing script's
# Shared by bench/ingest, bench/read and bench/retention (sourced, not run): Debian packages, the
# build, a private MariaDB sized like a small production server, a fill of it in SQL, `hicloud
# server` instances, one wrk run of bench/ingest.lua with its rows counted, what the database did
# meanwhile, and the plans of MariaDB's slow log. Expects $root (the repository) as the working
# directory.

build=${HICLOUD_BUILD_DIR:-build}
# HICLOUD_BENCH_HICLOUD=PATH runs another hicloud binary (an earlier build, for before/after figures
# of one database) in place of the build's; the build is still made for the scripts' own tools.

# bench_setup PACKAGE... -- TARGET...: installs the Debian packages that are missing (no pip), runs
# scripts/bootstrap, configures the Release build when there is none and builds the targets.
bench_setup() {
  local packages=() targets=() missing=() p
  while [ $# -gt 0 ] && [ "$1" != -- ]; do packages+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  targets=("$@")
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  scripts/bootstrap
  [ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target "${targets[@]}" >/dev/null
  hicloud="${HICLOUD_BENCH_HICLOUD:-$root/$build/hicloud}"
}

# The processes a script started (servers, clients): bench_cleanup ends them and stops MariaDB.
pids=()
bench_db_dir=""
bench_cleanup() {
  local p
  # A killed process's wait returns 143: under set -e that ended the trap before MariaDB stopped.
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  [ -z "$bench_db_dir" ] || scripts/test-mariadb stop "$bench_db_dir" || true
}

# bench_db DIR [resume]: a private MariaDB in DIR, durable (fsync on every commit) and sized like a
# small production server (1 GiB buffer pool, or HICLOUD_BENCH_BUFFER_POOL; 512 MiB redo log, or
# HICLOUD_BENCH_LOG_FILE), not
# like the tests' instance; fresh, or with `resume` the one DIR already holds. Exports HICLOUD_DB_*
# (database hicloud_bench), defines sql and sets db_pid.
bench_db() {
  bench_db_dir=$1
  export HICLOUD_TEST_DB_FLUSH=1 HICLOUD_TEST_DB_BUFFER_POOL=${HICLOUD_BENCH_BUFFER_POOL:-1G} HICLOUD_TEST_DB_LOG_FILE=${HICLOUD_BENCH_LOG_FILE:-512M}
  if [ "${2:-}" = resume ]; then
    scripts/test-mariadb resume "$bench_db_dir" >/dev/null
  else
    scripts/test-mariadb start "$bench_db_dir" >/dev/null
  fi
  # shellcheck disable=SC1091
  source "$bench_db_dir/env"
  export HICLOUD_CONFIG="" HICLOUD_DB_HOST=127.0.0.1 HICLOUD_DB_PORT=$HICLOUD_TEST_DB_PORT
  export HICLOUD_DB_USER=$HICLOUD_TEST_DB_ADMIN_USER HICLOUD_DB_PASSWORD=$HICLOUD_TEST_DB_ADMIN_PASSWORD
  export HICLOUD_DB_NAME=hicloud_bench
  db_pid=$(cat "$bench_db_dir/mysqld.pid")
}
sql() {
  mariadb --no-defaults -h127.0.0.1 -P"$HICLOUD_DB_PORT" -u"$HICLOUD_DB_USER" -p"$HICLOUD_DB_PASSWORD" \
    --batch --skip-column-names "$@"
}

wait_healthy() {
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench: nothing healthy on port $1" >&2
  return 1
}

# start_server LOG PORT [OPTION...]: `hicloud server` on 127.0.0.1:PORT (a binary other than this
# build's with HICLOUD_SERVER_BINARY); sets server_pid.
start_server() {
  local log=$1 port=$2
  shift 2
  "${HICLOUD_SERVER_BINARY:-$hicloud}" server --listen "127.0.0.1:$port" "$@" >/dev/null 2>"$log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_healthy "$port"
}

machine_load() { uptime | sed 's/.*,  *load/load/'; }
# The three processes using the most CPU over the next second, with their share of a core.
busiest() {
  top -b -n 2 -d 1 -o %CPU -w 200 | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ { printf "%s%s %s%%", k ? ", " : "", $12, $9; if (++k == 3) exit }'
}

# CPU seconds a process has used (user + system).
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat"; }
# CPU milliseconds per sample between two readings.
per_sample() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", n ? (b - a) * 1000 / n : 0 }'; }
# wrk's latency (850.00us, 12.34ms, 1.20s) in milliseconds.
ms() { awk -v x="$1" 'BEGIN { if (x ~ /us$/) print x/1000; else if (x ~ /ms$/) print x+0; else if (x ~ /s$/) print x*1000; else print x }'; }

# A run's rows: its agents are named bench-RUN-..., so the count is exact whatever ran before.
rows_of() {
  sql "$HICLOUD_DB_NAME" -e "SELECT (SELECT COUNT(*) FROM server WHERE agent_id LIKE 'bench-$1-%'),
    (SELECT COUNT(*) FROM container WHERE agent_id LIKE 'bench-$1-%')"
}
# Requests still in flight when wrk stopped counting commit afterwards: wait until the count holds.
settled_rows_of() {
  local now before=""
  for _ in $(seq 1 50); do
    now=$(rows_of "$1")
    [ "$now" = "$before" ] && break
    before=$now
    sleep 0.3
  done
  echo "$now"
}

ingest_header() {
  printf '%-26s %10s %10s %8s %8s %8s %8s %8s %9s %16s\n' run samples/s rows/s p50_ms p99_ms cpu_db cpu_srv cpu_cli acked stored
  echo "(cpu_db, cpu_srv, cpu_cli: CPU ms per stored sample of mariadbd, the server and the client: wrk or the ceiling's)"
}

# settle_rollups: waits (up to 2 minutes) until the servers have rolled up every pending minute of
# $HICLOUD_DB_NAME, so that a run's figures hold the rollups of its own rows, not those of another.
settle_rollups() {
  local i n
  for i in $(seq 1 240); do
    n=$(sql "$HICLOUD_DB_NAME" -e 'SELECT COUNT(*) FROM rollup_pending') || {
      echo "bench: cannot count $HICLOUD_DB_NAME.rollup_pending" >&2
      return 1
    }
    [ "$n" = 0 ] && return 0
    sleep 0.5
  done
  echo "  (rollups not settled after 2 minutes: the next run shares its window with them)"
}

# run_http NAME PORT CONNECTIONS SERVER_PID: wrk posting bench/ingest.lua's samples for $duration
# seconds (each agent's a second apart, from $ingest_time when set, "YYYY-MM-DD HH:MM:SS" UTC);
# prints a line of ingest_header's table and sets rate, p99, db_ms, server_ms and client_ms (CPU
# ms per stored sample of mariadbd, the server and wrk). With settle_in_run set, the CPU is read
# once the run's rows are rolled up (settle_rollups): each run is charged its own rollups.
run_http() {
  local name=$1 port=$2 conns=$3 pid=$4 threads=$(($3 < 2 ? 1 : 2)) id="c$3x$RANDOM$RANDOM" out
  local db0 db1 srv0 srv1
  db0=$(cpu_of "$db_pid"); srv0=$(cpu_of "$pid")
  # `times` last: the subshell's children's CPU, i.e. wrk's ("0m1.230s 0m0.450s").
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s bench/ingest.lua "http://127.0.0.1:$port" -- "$id" \
    ${ingest_time:+"$ingest_time"} && LC_ALL=C times)
  local total secs non2xx timeouts acked p50 stored crows client
  client=$(tail -n 1 <<<"$out" | awk '{ split($0, f, /[ms ]+/); printf "%.2f", f[1] * 60 + f[2] + f[3] * 60 + f[4] }')
  total=$(awk '/requests in/{print $1}' <<<"$out")
  secs=$(awk '/requests in/{gsub(/s,/,"",$4); print $4}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $5}' <<<"$out"); non2xx=${non2xx:-0}
  timeouts=$(awk '/Socket errors/{gsub(/,/,""); print $NF}' <<<"$out"); timeouts=${timeouts:-0}
  acked=$((total - non2xx))
  p50=$(ms "$(awk '$1=="50%"{print $2}' <<<"$out")"); p99=$(ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  [ -z "${settle_in_run:-}" ] || settle_rollups
  db1=$(cpu_of "$db_pid"); srv1=$(cpu_of "$pid")  # before counting, which costs the database too
  read -r stored crows < <(settled_rows_of "$id")
  rate=$(awk -v a="$acked" -v s="$secs" 'BEGIN { printf "%.0f", a/s }')
  db_ms=$(per_sample "$db0" "$db1" "$stored") client_ms=$(per_sample 0 "$client" "$stored")
  server_ms=$(per_sample "$srv0" "$srv1" "$stored")
  awk -v n="$name, $conns conn" -v r="$rate" -v s="$secs" -v st="$stored" -v cr="$crows" -v p50="$p50" -v p99="$p99" \
    -v a="$acked" -v cd="$db_ms" -v cs="$server_ms" -v cc="$client_ms" \
    'BEGIN { printf "%-26s %10d %10.0f %8.2f %8.2f %8.2f %8.2f %8.2f %9d %16s\n", n, r, (st + cr)/s, p50, p99, cd, cs, cc, a, st "+" cr }'
  # wrk stops counting at the deadline while up to one request per connection is still in flight
  # (and a request it timed out may still commit): acked <= stored <= acked + connections + timeouts.
  [ "$stored" -ge "$acked" ] && [ "$stored" -le $((acked + conns + timeouts)) ] && [ "$crows" -eq $((stored * 10)) ] ||
    echo "  MISMATCH: $acked acknowledged, $stored server rows, $crows container rows (non-2xx: $non2xx, timeouts: $timeouts)"
}

# migrate_before VERSION: the built-in migrations older than VERSION only (hicloud migrate
# --schema-dir with a copy of schema/'s files, which are what the binary builds in), so a fill
# can write the rows a database held before that migration; a plain `hicloud migrate` then applies
# the rest as an upgrade would.
migrate_before() {
  local dir f n
  dir=$(mktemp -d)
  for f in schema/[0-9]*.sql; do
    n=$(basename "$f")
    [ "$((10#${n%%_*}))" -ge "$1" ] || cp "$f" "$dir/"
  done
  "$hicloud" migrate --create-database --schema-dir "$dir" --log-level warn
  rm -rf "$dir"
}

# --- the fill ------------------------------------------------------------------------------------
# The sourcing script sets: agents (agent-01 ...), names (the containers of each agent), samples
# (per agent), interval (seconds), end (the last sample's time, a whole interval of the UTC clock),
# db. Agent NN's samples are NN mod interval seconds before the whole intervals, and all the
# container rows of a sample carry its server row's time, as an agent's POST stores them. Sample
# k (0 = the oldest) of agent a is at end - ((samples - 1 - k) * interval + a mod interval).
# Figures vary by agent, container and a daily wave, with noise: host CPU 0-100 %, memory a share of
# 8, 16 or 32 GiB; containers a few % of CPU each and 40 MiB to 1 GiB, one or two of each agent's
# containers exited (zero figures). The noise is a hash of (sample, agent, container), not RAND(),
# so rows filled again (fill_rows after a prune) are the rows that were there.
fill_chunk=360  # samples per statement
names=(nginx api-1 api-2 api-3 worker-1 worker-2 worker-3 worker-4 scheduler redis postgres rabbitmq
  prometheus-node-exporter cadvisor fluent-bit grafana mailer thumbnailer backup migrations)

# fill_rows FIRST LAST [BEFORE [one]]: INSERT ... SELECT from MariaDB's sequence tables
# (seq_A_to_B) the samples FIRST..LAST of every agent, in the order agents post them (time, then
# agent, then container), fill_chunk samples per statement, each its own transaction; with BEFORE
# (a DATETIME) only rows older than it; with `one`, all in one transaction (none written if stopped).
fill_rows() {
  local first=$1 last=$2 before=${3:-9999-12-31 23:59:59} one=${4:-} k seq names_sql statements=""
  names_sql=$(printf "'%s', " "${names[@]}"); names_sql=${names_sql%, }
  for ((k = first; k <= last; k += fill_chunk)); do
    seq="seq_${k}_to_$((k + fill_chunk - 1 < last ? k + fill_chunk - 1 : last))"
    statements+="SET @end = '$end', @n = $samples, @i = $interval;
      INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, ser_memory_used,
        ser_memory_percent, ser_get_datetime)
      SELECT 'docker', agent, cpus, cpu, total, used, ROUND(100 * used / total, 2), at FROM (
        SELECT CONCAT('agent-', LPAD(a.seq, 2, '0')) AS agent, ELT(1 + a.seq % 4, 2, 4, 8, 16) AS cpus,
          ELT(1 + a.seq % 3, 8192, 16384, 32768) AS total,
          ROUND(LEAST(100, GREATEST(0, 10 + 6 * (a.seq % 6) + 15 * SIN(2 * PI() * t.seq / @n + a.seq)
            + 10 * (CRC32(CONCAT_WS(',', t.seq, a.seq, 'cpu')) % 1000) / 1000)), 2) AS cpu,
          ROUND(ELT(1 + a.seq % 3, 8192, 16384, 32768) * (0.3 + 0.1 * (a.seq % 4) + 0.08 * SIN(2 * PI() * t.seq / @n + a.seq)
            + 0.04 * (CRC32(CONCAT_WS(',', t.seq, a.seq, 'mem')) % 1000) / 1000)) AS used,
          @end - INTERVAL ((@n - 1 - t.seq) * @i + a.seq % @i) SECOND AS at, t.seq AS t, a.seq AS a
        FROM $seq t JOIN seq_1_to_$agents a) s
      WHERE at < '$before'
      ORDER BY t, a;
      INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent,
        con_memory_usage, con_memory_percent, con_get_datetime)
      SELECT 'docker', agent, agent, name, IF(stopped, 'exited', 'running'), IF(stopped, 0, cpu), IF(stopped, 0, mem),
        IF(stopped, 0, ROUND(100 * mem / lim, 2)), at FROM (
        SELECT CONCAT('agent-', LPAD(a.seq, 2, '0')) AS agent, ELT(c.seq, $names_sql) AS name,
          c.seq = ${#names[@]} OR (c.seq = ${#names[@]} - 1 AND a.seq % 5 = 0) AS stopped,
          ROUND(GREATEST(0, (c.seq % 7) * 4 + 6 * SIN(2 * PI() * t.seq / @n + a.seq + c.seq)
            + 5 * (CRC32(CONCAT_WS(',', t.seq, a.seq, c.seq, 'cpu')) % 1000) / 1000), 2) AS cpu,
          ROUND((40 + (c.seq * 97) % 900) * (1 + 0.2 * SIN(2 * PI() * t.seq / @n + a.seq + c.seq))
            + 8 * (CRC32(CONCAT_WS(',', t.seq, a.seq, c.seq, 'mem')) % 1000) / 1000, 2) AS mem,
          1024 * (1 + c.seq % 4) AS lim,
          @end - INTERVAL ((@n - 1 - t.seq) * @i + a.seq % @i) SECOND AS at, t.seq AS t, a.seq AS a, c.seq AS ci
        FROM $seq t JOIN seq_1_to_$agents a JOIN seq_1_to_${#names[@]} c) s
      WHERE at < '$before'
      ORDER BY t, a, ci;
"
    [ "$one" = one ] || { sql "$db" -e "$statements"; statements=""; }
  done
  [ "$one" != one ] || sql "$db" -e "START TRANSACTION; $statements COMMIT"
}

# fill SHAPE: empties server and container and fills them with every sample up to the UTC clock's
# last whole interval (sets end). The container table's secondary indexes are dropped first and
# built again after (as the migrations define them, read back from information_schema): a sorted
# build is faster than keeping them up row by row. Writes SHAPE and the fill's time to
# $bench_db_dir/filled, which a --keep run compares.
fill() {
  local shape=$1 started=$SECONDS drops adds inserted rows
  drops=$(sql "$db" -e "SELECT GROUP_CONCAT(CONCAT('DROP KEY ', index_name) SEPARATOR ', ') FROM
    (SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = '$db'
      AND table_name = 'container' AND index_name <> 'PRIMARY') i")
  adds=$(sql "$db" -e "SELECT GROUP_CONCAT(CONCAT(IF(non_unique, 'ADD KEY ', 'ADD UNIQUE KEY '), index_name,
      ' (', cols, ')') SEPARATOR ', ')
    FROM (SELECT index_name, MAX(non_unique) AS non_unique, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols
      FROM information_schema.statistics WHERE table_schema = '$db' AND table_name = 'container'
        AND index_name <> 'PRIMARY' GROUP BY index_name) i")
  sql "$db" -e "TRUNCATE server; TRUNCATE container"
  [ -z "$drops" ] || sql "$db" -e "ALTER TABLE container $drops"
  end=$(sql -e "SELECT UTC_TIMESTAMP() - INTERVAL (UNIX_TIMESTAMP() % $interval) SECOND")
  fill_rows 0 $((samples - 1))
  inserted=$SECONDS
  [ -z "$adds" ] || sql "$db" -e "ALTER TABLE container $adds"
  sql "$db" -e "ANALYZE TABLE server, container" >/dev/null
  rows=$(sql "$db" -e "SELECT (SELECT COUNT(*) FROM server), (SELECT COUNT(*) FROM container)")
  echo "fill: $(awk '{ print $1 " server rows, " $2 " container rows" }' <<<"$rows") up to $end UTC in" \
    "$((SECONDS - started)) s ($((inserted - started)) s inserting, $((SECONDS - inserted)) s building the indexes)," \
    "$(du -sh "$bench_db_dir/data/$db" | cut -f1) on disk"
  printf '%s\n%s UTC, filled in %d s\n' "$shape" "$end" "$((SECONDS - started))" >"$bench_db_dir/filled"
}
# The end of a kept fill (its second line).
filled_end() { sed -n '2s/ UTC.*//p' "$bench_db_dir/filled"; }

# The rows stored before migration 005 are rolled up by the first server that starts (the
# backfill, rollup_progress 'backfill'). backfill_pending: whether it is still to do. backfill_start,
# then start_server, then backfill_wait LOG: waits until that server has finished it and prints how
# long it took from backfill_start, the raw rows per second, what mariadbd and the server used, and
# whether the server logged it; sets backfill_seconds.
backfill_pending() {
  [ -z "$(sql "$db" -e "SELECT finished_at FROM rollup_progress WHERE name = 'backfill' AND finished_at IS NOT NULL")" ]
}
backfill_start() {
  bf_rows=$(sql "$db" -e "SELECT (SELECT COUNT(*) FROM server) + (SELECT COUNT(*) FROM container)")
  bf_t0=$(date +%s.%N); bf_db0=$(cpu_of "$db_pid")
}
backfill_wait() {
  local log=$1 pid=$server_pid
  while backfill_pending; do sleep 1; done
  backfill_seconds=$(awk -v a="$bf_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  # The server's CPU since it started is all the backfill's, beside a few health checks.
  awk -v s="$backfill_seconds" -v r="$bf_rows" -v db="$(awk -v a="$bf_db0" -v b="$(cpu_of "$db_pid")" 'BEGIN { print b - a }')" \
    -v srv="$(cpu_of "$pid")" -v ld="$(cut -d' ' -f1 /proc/loadavg)" \
    -v logged="$(grep -c 'rollup backfill finished' "$log" || true)" 'BEGIN {
      printf "rollup backfill: %d raw rows in %.1f s, %.0f rows/s; mariadbd %.2f cores, server %.2f cores; load %s; the log says %s\n",
        r, s, r / s, db / s, srv / s, ld, (logged > 0 ? "\"rollup backfill finished\"" : "NOTHING (no \"rollup backfill finished\")") }'
}

# delete_ingested: the rows of bench/ingest.lua's agents (bench-...), raw and rolled up, in batches.
delete_ingested() {
  local started=$SECONDS n=0 d table
  for table in container server container_minute container_hour server_minute server_hour rollup_pending; do
    while :; do
      d=$(sql "$db" -e "DELETE FROM $table WHERE agent_id LIKE 'bench-%' LIMIT 50000; SELECT ROW_COUNT()")
      n=$((n + d))
      [ "$d" -gt 0 ] || break
    done
  done
  # InnoDB re-estimated the tables' statistics while they held those rows; estimate them again.
  sql "$db" -e "ANALYZE TABLE server, container" >/dev/null
  echo "deleted the ingest runs' $n rows (raw, rolled up and pending) in $((SECONDS - started)) s"
}

# --- what the database did during a run ----------------------------------------------------------
# settle: InnoDB writes its modified pages out and purges deleted rows before a run
# (innodb_max_dirty_pages_pct 0 for the time, until at most 1000 dirty pages and 1000 undo logs
# are left or 120 s passed), so a run does not pay for the flushing or purging of what ran before
# it (a fill, an earlier run, a deletion). Prints how long it waited when it was more than 5 s.
settle() {
  local started=$SECONDS pct dirty history
  pct=$(sql -e "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  # The purge matters after a --keep run, which deletes its ingest rows at the end: millions of
  # index entries, whose purge would otherwise run beside the next measurement.
  while [ $((SECONDS - started)) -lt 120 ]; do
    read -r dirty history < <(sql -e "SELECT MAX(IF(variable_name = 'Innodb_buffer_pool_pages_dirty', variable_value, NULL)),
      MAX(IF(variable_name = 'Innodb_history_list_length', variable_value, NULL)) FROM information_schema.global_status
      WHERE variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_history_list_length')")
    [ "$dirty" -gt 1000 ] || [ "${history:-0}" -gt 1000 ] || break
    sleep 1
  done
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = $pct"
  [ $((SECONDS - started)) -le 5 ] ||
    echo "  (waited $((SECONDS - started)) s for InnoDB to write $dirty modified pages out and purge to $history undo logs)"
}

status_of() {
  sql -e "SELECT variable_name, variable_value FROM information_schema.global_status WHERE variable_name IN
    ('Innodb_buffer_pool_reads', 'Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_data_fsyncs')" |
    awk '{ printf "%s=%s ", $1, $2 }'
}
# Sectors read and written by the disk holding the database.
disk_of() {
  local dev
  dev=$(basename "$(df --output=source "$bench_db_dir" | tail -1)")
  awk -v d="$dev" '$3 == d { print $6, $10 }' /proc/diskstats
}
# activity_start SERVER_PID, then activity_line: the CPU of mariadbd and of the server in cores,
# InnoDB's pages read from disk, row lock waits, fsyncs, the disk's MiB read and written, the load.
activity_start() {
  act_pid=$1; act_s0=$(status_of); read -r -a act_d0 < <(disk_of)
  act_db0=$(cpu_of "$db_pid"); act_srv0=$(cpu_of "$act_pid"); act_t0=$(date +%s.%N)
}
activity_line() {
  local s1 d1 db1 srv1 t1
  s1=$(status_of); read -r -a d1 < <(disk_of); db1=$(cpu_of "$db_pid"); srv1=$(cpu_of "$act_pid"); t1=$(date +%s.%N)
  awk -v a="$act_s0" -v b="$s1" -v t="$(awk -v a="$act_t0" -v b="$t1" 'BEGIN { print b - a }')" \
    -v db="$(awk -v a="$act_db0" -v b="$db1" 'BEGIN { print b - a }')" -v srv="$(awk -v a="$act_srv0" -v b="$srv1" 'BEGIN { print b - a }')" \
    -v dr="$(( (d1[0] - act_d0[0]) / 2048 ))" -v dw="$(( (d1[1] - act_d0[1]) / 2048 ))" -v ld="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      n = split(a, x, " "); split(b, y, " ")
      for (i = 1; i <= n; i++) { split(x[i], p, "="); split(y[i], q, "="); d[p[1]] = q[2] - p[2] }
      printf "  over %.1f s: mariadbd %.2f cores, server %.2f cores; buffer pool reads from disk %d, row lock waits %d (%d ms), fsyncs %d; disk read %d MiB, written %d MiB; load %s\n",
        t, db / t, srv / t, d["INNODB_BUFFER_POOL_READS"], d["INNODB_ROW_LOCK_WAITS"], d["INNODB_ROW_LOCK_TIME"], d["INNODB_DATA_FSYNCS"], dr, dw, ld }'
}

# --- plans ---------------------------------------------------------------------------------------
# slow_log_on FILE: MariaDB logs every statement with its plan (log_slow_verbosity=explain) to FILE.
slow_log_on() {
  slow_log=$1
  rm -f "$slow_log"
  sql -e "SET GLOBAL slow_query_log_file = '$slow_log', GLOBAL log_slow_verbosity = 'query_plan,explain',
    GLOBAL long_query_time = 0, GLOBAL slow_query_log = 1"
}
slow_log_off() { sql -e "SET GLOBAL slow_query_log = 0"; }
plan_header() {
  printf '%-24s %6s %14s %9s %9s  %s\n' read answer "${1:-points+rows}" examined sql_ms "plan (table:access:key:r_rows)"
  echo "(examined: MariaDB's Rows_examined, temporary tables' rows included; sql_ms: the statements' time in MariaDB, this first read)"
}
# plan_of NAME PATH SHOWN_CMD: GETs PATH from $port once and prints a line of plan_header's table:
# the answer's code, what SHOWN_CMD (given the answer's file) says of it, and the statements the
# read ran: their rows examined, time and each table's access.
plan_of() {
  local name=$1 path=$2 shown_cmd=$3 offset code shown answer
  answer=$(mktemp)
  offset=$(stat -c %s "$slow_log" 2>/dev/null || echo 0)
  code=$(curl -s -o "$answer" -w '%{http_code}' "http://127.0.0.1:${plan_port:-$port}$path")
  sleep 0.3
  shown=$($shown_cmd "$answer")
  rm -f "$answer"
  tail -c +$((offset + 1)) "$slow_log" | awk -v name="$name" -v code="$code" -v shown="$shown" '
    /^# Query_time:/ { qt = $3; ex = $NF; plan = "" }
    /^# explain: [0-9]/ { plan = plan sprintf(" %s:%s:%s:%s", $5, $6, $8, $12) }
    /^(SELECT|WITH)/ { n++; examined += ex; ms += qt * 1000; plans = plans plan }
    END { printf "%-24s %6s %14s %9d %9.1f %s\n", name, code, shown, examined, ms, plans }'
}
# series_shown FILE: a series answer's points + samples averaged, and its resolution.
series_shown() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if "points" in d:
    print(str(len(d["points"])) + "+" + str(sum(p["samples"] for p in d["points"])) + " " + d.get("resolution", "?"))
else:
    print("-")
' "$1"
}
