# shellcheck shell=bash disable=SC2154  # root and duration are the sourcing script's
# Shared by bench/ingest and bench/read (sourced, not run): Debian packages, the build, a private
# MariaDB sized like a small production server, `hicloud server` instances, and one wrk run of
# bench/ingest.lua with its rows counted. Expects $root (the repository) as the working directory.

build=${HICLOUD_BUILD_DIR:-build}

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
  hicloud="$root/$build/hicloud"
}

# The processes a script started (servers, clients): bench_cleanup ends them and stops MariaDB.
pids=()
bench_db_dir=""
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -z "$bench_db_dir" ] || scripts/test-mariadb stop "$bench_db_dir" || true
}

# bench_db DIR [resume]: a private MariaDB in DIR, durable (fsync on every commit) and sized like a
# small production server (1 GiB buffer pool, or HICLOUD_BENCH_BUFFER_POOL; 512 MiB redo log), not
# like the tests' instance; fresh, or with `resume` the one DIR already holds. Exports HICLOUD_DB_*
# (database hicloud_bench), defines sql and sets db_pid.
bench_db() {
  bench_db_dir=$1
  export HICLOUD_TEST_DB_FLUSH=1 HICLOUD_TEST_DB_BUFFER_POOL=${HICLOUD_BENCH_BUFFER_POOL:-1G} HICLOUD_TEST_DB_LOG_FILE=512M
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
  printf '%-26s %10s %10s %8s %8s %8s %8s %9s %16s\n' run samples/s rows/s p50_ms p99_ms cpu_db cpu_srv acked stored
  echo "(cpu_db, cpu_srv: CPU ms per stored sample of mariadbd and of the server or the ceiling's client)"
}

# run_http NAME PORT CONNECTIONS SERVER_PID: wrk posting bench/ingest.lua's samples for $duration
# seconds; prints a line of ingest_header's table and sets rate and p99.
run_http() {
  local name=$1 port=$2 conns=$3 pid=$4 threads=$(($3 < 2 ? 1 : 2)) id="c$3x$RANDOM$RANDOM" out
  local db0 db1 srv0 srv1
  db0=$(cpu_of "$db_pid"); srv0=$(cpu_of "$pid")
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s bench/ingest.lua "http://127.0.0.1:$port" -- "$id")
  local total secs non2xx timeouts acked p50 stored crows
  total=$(awk '/requests in/{print $1}' <<<"$out")
  secs=$(awk '/requests in/{gsub(/s,/,"",$4); print $4}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $5}' <<<"$out"); non2xx=${non2xx:-0}
  timeouts=$(awk '/Socket errors/{gsub(/,/,""); print $NF}' <<<"$out"); timeouts=${timeouts:-0}
  acked=$((total - non2xx))
  p50=$(ms "$(awk '$1=="50%"{print $2}' <<<"$out")"); p99=$(ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  db1=$(cpu_of "$db_pid"); srv1=$(cpu_of "$pid")  # before counting, which costs the database too
  read -r stored crows < <(settled_rows_of "$id")
  rate=$(awk -v a="$acked" -v s="$secs" 'BEGIN { printf "%.0f", a/s }')
  awk -v n="$name, $conns conn" -v r="$rate" -v s="$secs" -v st="$stored" -v cr="$crows" -v p50="$p50" -v p99="$p99" \
    -v a="$acked" -v cd="$(per_sample "$db0" "$db1" "$stored")" -v cs="$(per_sample "$srv0" "$srv1" "$stored")" \
    'BEGIN { printf "%-26s %10d %10.0f %8.2f %8.2f %8.2f %8.2f %9d %16s\n", n, r, (st + cr)/s, p50, p99, cd, cs, a, st "+" cr }'
  # wrk stops counting at the deadline while up to one request per connection is still in flight
  # (and a request it timed out may still commit): acked <= stored <= acked + connections + timeouts.
  [ "$stored" -ge "$acked" ] && [ "$stored" -le $((acked + conns + timeouts)) ] && [ "$crows" -eq $((stored * 10)) ] ||
    echo "  MISMATCH: $acked acknowledged, $stored server rows, $crows container rows (non-2xx: $non2xx, timeouts: $timeouts)"
}
